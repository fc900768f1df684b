// Normalisation of Engine API request targets: what a policy compares against.
// "/v1.41/containers//abc/../json?all=1" → version "1.41", path "/containers/json", query {all: ["1"]}.

export interface NormalisedTarget {
  /** API version from a /vX.Y prefix, or '' when the client sent none. */
  version: string;
  /** Decoded, dot-segment-free path without the version prefix or query. */
  path: string;
  /** Decoded query parameters; every value of a repeated key, in order. */
  query: Record<string, string[]>;
}

const VERSION_PREFIX = /^\/v(\d+\.\d+)(?=\/|$)/;

export function normaliseTarget(target: string): NormalisedTarget {
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? '' : target.slice(q + 1);
  let path = cleanPath(decodePath(rawPath));
  let version = '';
  const m = VERSION_PREFIX.exec(path);
  if (m) {
    version = m[1];
    path = path.slice(m[0].length) || '/';
  }
  const query: Record<string, string[]> = Object.create(null);
  if (rawQuery) {
    for (const [k, v] of new URLSearchParams(rawQuery)) (query[k] ??= []).push(v);
  }
  return { version, path, query };
}

function decodePath(p: string): string {
  if (p.indexOf('%') < 0) return p;
  try {
    return decodeURIComponent(p);
  } catch {
    return p; // invalid escapes: the daemon will refuse the request; judge it as sent
  }
}

/** Collapses repeated slashes and resolves "." and ".." the way the daemon's router cleans paths. */
export function cleanPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return '/' + out.join('/');
}
