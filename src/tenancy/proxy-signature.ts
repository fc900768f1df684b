// The caller's identity carried from dockgate serve to dockgate plugin through dockerd: the proxy
// knows who is calling (the kernel told it), the plugin only sees what dockerd forwards. The
// proxy adds one header, signed with a key only root can read; the plugin believes an identity
// only when the signature covers this very request (method, target, body digest), is fresh
// (a time window) and has not been seen before (nonces remembered for the window).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Identity } from './identity.js';

/** The header the proxy writes (and removes from what clients send). */
export const IDENTITY_HEADER = 'X-Dockgate-Identity';

const VERSION = 'v1';
/** Bodies the proxy streams rather than holds are not digested; the plugin then has no body either. */
const STREAMED = '-';
const MAX_HEADER = 4096;

class SignatureKeyError extends Error {}

/**
 * Reads the shared key: a file owned by root, readable by nobody else (a key others can read
 * lets them forge any identity), of at least 32 bytes.
 */
export function readSignatureKey(path: string): Buffer {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (err) {
    throw new SignatureKeyError(`${path}: cannot read the signing key: ${(err as NodeJS.ErrnoException).code}`);
  }
  if (!st.isFile()) throw new SignatureKeyError(`${path}: the signing key is not a regular file`);
  if (st.uid !== 0 || (st.mode & 0o077) !== 0)
    throw new SignatureKeyError(`${path}: the signing key must be owned by root and readable by root only (chmod 600)`);
  const key = readFileSync(path);
  if (key.length < 32) throw new SignatureKeyError(`${path}: the signing key is shorter than 32 bytes`);
  return key;
}

interface Signed {
  method: string;
  target: string;
  /** The forwarded body, or null when none; undefined when streamed (not held). */
  body: Buffer | null | undefined;
}

function digest(body: Buffer | null | undefined): string {
  if (body === undefined) return STREAMED;
  return createHash('sha256')
    .update(body ?? Buffer.alloc(0))
    .digest('hex');
}

function mac(key: Buffer, parts: string[]): Buffer {
  return createHmac('sha256', key).update(parts.join('\n')).digest();
}

/** The header value the proxy forwards for `identity` on `request`. */
export function signIdentity(key: Buffer, identity: Identity, request: Signed, nowMs = Date.now()): string {
  const who = Buffer.from(
    JSON.stringify({ uid: identity.uid, gid: identity.gid, user: identity.user, groups: identity.groups }),
  ).toString('base64url');
  const ts = String(Math.floor(nowMs / 1000));
  const nonce = randomBytes(16).toString('hex');
  const body = digest(request.body);
  const sig = mac(key, [VERSION, request.method, request.target, body, who, ts, nonce]).toString('hex');
  return `${VERSION} ${ts} ${nonce} ${body} ${who} ${sig}`;
}

export type Verified = { ok: true; identity: Identity } | { ok: false; why: string };

/** Checks signed identities; remembers nonces for the window so a replay is refused. */
export class IdentityVerifier {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly key: Buffer,
    private readonly windowSeconds: number,
    /** Most nonces remembered; beyond, the oldest signatures are refused as if expired. */
    private readonly maxRemembered = 100_000,
  ) {}

  /**
   * `body`: the body dockerd passed on (undefined: none passed, so the digest cannot be checked
   * here; a route whose body is judged is refused for the missing body anyway).
   */
  verify(value: string, method: string, target: string, body: Buffer | undefined, nowMs = Date.now()): Verified {
    if (value.length > MAX_HEADER) return { ok: false, why: 'the identity header is too long' };
    const parts = value.split(' ');
    if (parts.length !== 6 || parts[0] !== VERSION) return { ok: false, why: 'the identity header is malformed' };
    const [, ts, nonce, bodyDigest, who, sig] = parts as [string, string, string, string, string, string];
    if (!/^[0-9]{1,12}$/.test(ts) || !/^[0-9a-f]{32}$/.test(nonce) || !/^[0-9a-f]{64}$/.test(sig))
      return { ok: false, why: 'the identity header is malformed' };
    const expected = mac(this.key, [VERSION, method, target, bodyDigest, who, ts, nonce]);
    if (!timingSafeEqual(expected, Buffer.from(sig, 'hex')))
      return { ok: false, why: 'the identity signature does not match this request' };
    // A body the proxy streamed (not held, so not judged) is not digested; a held one must match.
    if (body !== undefined && bodyDigest !== STREAMED && digest(body) !== bodyDigest)
      return { ok: false, why: 'the identity signature was made for another body' };
    const age = nowMs / 1000 - Number(ts);
    if (age > this.windowSeconds || age < -this.windowSeconds)
      return { ok: false, why: 'the identity signature has expired' };
    this.forgetExpired(nowMs);
    if (this.seen.has(nonce)) return { ok: false, why: 'the identity signature was used before (replay)' };
    if (this.seen.size >= this.maxRemembered) return { ok: false, why: 'too many signatures in the window' };
    this.seen.set(nonce, Number(ts));
    let doc: { uid?: unknown; gid?: unknown; user?: unknown; groups?: unknown };
    try {
      doc = JSON.parse(Buffer.from(who, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, why: 'the identity header is malformed' };
    }
    const id = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null);
    if (typeof doc?.user !== 'string' || !Array.isArray(doc.groups) || !doc.groups.every((g) => typeof g === 'string'))
      return { ok: false, why: 'the identity header is malformed' };
    return {
      ok: true,
      identity: {
        uid: id(doc.uid),
        gid: id(doc.gid),
        user: doc.user,
        groups: doc.groups as string[],
        pid: null,
        via: 'proxy-header',
      },
    };
  }

  private forgetExpired(nowMs: number): void {
    const oldest = nowMs / 1000 - this.windowSeconds;
    for (const [nonce, ts] of this.seen) {
      // Insertion order is close to time order: stop at the first one still in the window.
      if (ts >= oldest) break;
      this.seen.delete(nonce);
    }
  }
}
