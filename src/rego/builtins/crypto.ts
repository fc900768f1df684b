// Builtin family "crypto" (family B): hashes and HMACs. The x509 and private-key parsers
// live in x509.ts.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { BuiltinDef } from './registry.js';
import { str } from './operands.js';
import { utf8 } from './bytes.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

function hashBuiltin(name: string, algo: string): void {
  builtins.push({
    name,
    arity: 1,
    fn: ([s]) =>
      createHash(algo)
        .update(utf8(str(1, s!)))
        .digest('hex'),
  });
}

hashBuiltin('crypto.md5', 'md5');
hashBuiltin('crypto.sha1', 'sha1');
hashBuiltin('crypto.sha256', 'sha256');

function hmacBuiltin(name: string, algo: string): void {
  builtins.push({
    name,
    arity: 2,
    fn: ([msg, key]) => {
      const m = str(1, msg!);
      const k = str(2, key!);
      return createHmac(algo, utf8(k)).update(utf8(m)).digest('hex');
    },
  });
}

hmacBuiltin('crypto.hmac.md5', 'md5');
hmacBuiltin('crypto.hmac.sha1', 'sha1');
hmacBuiltin('crypto.hmac.sha256', 'sha256');
hmacBuiltin('crypto.hmac.sha512', 'sha512');

builtins.push({
  name: 'crypto.hmac.equal',
  arity: 2,
  fn: ([a, b]) => {
    const x = utf8(str(1, a!));
    const y = utf8(str(2, b!));
    return x.length === y.length && timingSafeEqual(x, y);
  },
});
