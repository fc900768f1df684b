// Reads a request target the way dockerd routes it, so that what we judge is what dockerd runs.
//
// dockerd (Go net/http + gorilla/mux) percent-decodes the path, then answers 301 when
// path.Clean would change it (`//`, `/./`, `/../`), and routes the decoded, clean path either
// with a `/v{version:[0-9.]+}` prefix or without one. Verified against dockerd 20.10:
//   //containers/json → 301     /containers%2Fjson → 200 (list)     /containers/json/ → 404
// We accept only what dockerd would route as-is; anything it would redirect or reject is
// refused here (a Refusal with status 400), so our reading can never differ from its reading.
import { Refusal } from './refusal.js';

export interface ApiPath {
  /** API version from the `/vX.Y` prefix, or "" when the request has none. */
  version: string;
  /** Decoded path without the version prefix and without the query, e.g. "/containers/create". */
  path: string;
  /** Decoded query: the first value of each key (Go's `Form.Get`), and every value in `queryAll`. */
  query: Record<string, string>;
  queryAll: Record<string, string[]>;
}

const VERSION_PREFIX = /^\/v([0-9.]+)(?=\/)/;

/** Parses an origin-form request target ("/v1.41/containers/json?all=1"). Throws Refusal. */
export function parseApiPath(target: string): ApiPath {
  if (target.length === 0 || target.charCodeAt(0) !== 0x2f /* / */) {
    // Absolute-form and "*" are legal HTTP but never sent by Docker clients: refuse rather than guess.
    throw new Refusal(400, 'request target must be an absolute path');
  }
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? '' : target.slice(q + 1);

  const decoded = percentDecode(rawPath, false);
  if (decoded === undefined) throw new Refusal(400, 'invalid percent-encoding in request path');
  if (decoded.includes('\0')) throw new Refusal(400, 'NUL byte in request path');
  if (cleanPath(decoded) !== decoded) {
    // dockerd would answer 301 to the cleaned path: nothing runs, so nothing needs judging — refuse it.
    throw new Refusal(400, `non-canonical request path ${JSON.stringify(decoded)} (dockerd redirects it)`);
  }

  let version = '';
  let path = decoded;
  const m = VERSION_PREFIX.exec(decoded);
  if (m) {
    version = m[1]!;
    path = decoded.slice(m[0].length);
  }

  const { first, all } = parseQuery(rawQuery);
  return { version, path, query: first, queryAll: all };
}

/**
 * gorilla/mux's cleanPath: path.Clean, keeping one trailing slash. A path equal to its clean
 * form is one dockerd routes without redirecting.
 */
export function cleanPath(p: string): string {
  if (p === '') return '/';
  if (p[0] !== '/') p = '/' + p;
  const segments: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  let out = '/' + segments.join('/');
  if (p.endsWith('/') && out !== '/') out += '/';
  return out;
}

/**
 * Go's url unescape: "%XX" must be two hex digits; in query mode "+" is a space.
 * Returns undefined on a malformed escape (Go answers 400).
 */
export function percentDecode(s: string, plusIsSpace: boolean): string | undefined {
  if (!s.includes('%') && !(plusIsSpace && s.includes('+'))) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const h = hexVal(s.charCodeAt(i + 1));
      const l = hexVal(s.charCodeAt(i + 2));
      if (h < 0 || l < 0) return undefined;
      bytes.push(h * 16 + l);
      i += 2;
    } else if (plusIsSpace && c === 0x2b /* + */) {
      bytes.push(0x20);
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      // Non-ASCII text in the target: keep its UTF-8 bytes.
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Go's url.ParseQuery. A ";" makes Go drop the pair and report an error, which dockerd's
 * form parsing turns into a failure or a silently different reading: refuse it outright.
 */
function parseQuery(raw: string): { first: Record<string, string>; all: Record<string, string[]> } {
  const first: Record<string, string> = Object.create(null);
  const all: Record<string, string[]> = Object.create(null);
  if (raw === '') return { first, all };
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    if (pair.includes(';')) throw new Refusal(400, 'semicolon in query string');
    const eq = pair.indexOf('=');
    const key = percentDecode(eq < 0 ? pair : pair.slice(0, eq), true);
    const value = percentDecode(eq < 0 ? '' : pair.slice(eq + 1), true);
    if (key === undefined || value === undefined) throw new Refusal(400, 'invalid percent-encoding in query string');
    if (!(key in all)) {
      all[key] = [];
      first[key] = value;
    }
    all[key]!.push(value);
  }
  return { first, all };
}
