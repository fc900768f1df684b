// Builtin families: the names builtins/index.ts declares for each family loaded on first use are
// the names its module defines, the built-in policy pack compiles without loading the heavy
// families, and every builtin that reads its context declares what it reads (purity.ts).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { lazyFamilies } from '../../src/rego/builtins/index.js';
import { builtinNames, lookupBuiltin, type BuiltinDef } from '../../src/rego/builtins/registry.js';
import { builtinPure } from '../../src/rego/purity.js';

const here = dirname(fileURLToPath(import.meta.url));
const builtinsDir = join(here, '..', '..', 'src', 'rego', 'builtins');

test('each lazy family declares exactly the builtins its module defines', async () => {
  const seen = new Set<string>();
  for (const family of lazyFamilies) {
    const mod = (await import(pathToFileURL(join(builtinsDir, family.module)).href)) as {
      builtins: readonly BuiltinDef[];
    };
    assert.deepEqual(
      [...family.names].sort(),
      mod.builtins.map((b) => b.name).sort(),
      `names declared for ${family.module}`,
    );
    for (const name of family.names) {
      assert.ok(!seen.has(name), `${name} declared by one family only`);
      seen.add(name);
    }
  }
});

test('a lazy builtin is found by name, and listed before it is loaded', () => {
  assert.ok(builtinNames().includes('crypto.x509.parse_certificates'));
  const b = lookupBuiltin('crypto.x509.parse_certificates');
  assert.equal(b?.name, 'crypto.x509.parse_certificates');
  assert.equal(b?.arity, 1);
  assert.equal(lookupBuiltin('no.such.builtin'), undefined);
});

test('the built-in pack compiles without loading the heavy families', () => {
  const root = join(here, '..', '..', '..');
  const script = `
    import { readdirSync, readFileSync } from 'node:fs';
    const { compile } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist', 'src', 'rego', 'index.js')).href)});
    const { loadedFamilies } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist', 'src', 'rego', 'builtins', 'registry.js')).href)});
    const dir = ${JSON.stringify(join(root, 'src', 'policy', 'pack'))};
    const sources = readdirSync(dir).filter((f) => f.endsWith('.rego')).map((f) => ({ name: f, text: readFileSync(dir + '/' + f, 'utf8') }));
    compile(sources);
    console.log(JSON.stringify(loadedFamilies()));
  `;
  const loaded = JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
  );
  assert.ok(Array.isArray(loaded) && loaded.length > 0, 'the pack calls some lazy family');
  for (const heavy of [
    './crypto.js',
    './x509.js',
    './jwt.js',
    './graphql.js',
    './jsonschema.js',
    './providers-aws.js',
    './time.js',
    './random.js',
    './rego.js',
  ])
    assert.ok(!loaded.includes(heavy), `${heavy} not loaded by the pack`);
});

test('a builtin that takes the query context declares what it reads', () => {
  for (const name of builtinNames()) {
    const b = lookupBuiltin(name)!;
    const impl = (b.fn ?? b.multi) as (...args: unknown[]) => unknown;
    if (impl.length >= 2) assert.ok(!builtinPure(b), `${name} reads its context but declares nothing`);
  }
  assert.equal(lookupBuiltin('time.now_ns')!.reads, 'clock');
  assert.equal(lookupBuiltin('rand.intn')!.reads, 'random');
  assert.equal(lookupBuiltin('http.send')!.reads, 'network');
  assert.equal(lookupBuiltin('opa.runtime')!.reads, 'context');
  assert.ok(builtinPure(lookupBuiltin('strings.replace_n')!));
});
