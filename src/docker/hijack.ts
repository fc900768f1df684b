// Which Engine API requests can turn their connection into a raw stream.
// The daemon hijacks attach and exec-start (with or without an Upgrade header) and
// BuildKit's /session and /grpc (h2c upgrade). After such a request the client's next
// bytes may be stream data rather than HTTP, so the proxy must not parse them before
// it has seen the daemon's answer. A false positive only delays pipelined requests, so
// the test is deliberately broad (any POST whose path mentions one of these words).

const HIJACK_WORDS = ['attach', 'start', 'session', 'grpc'];

export function mayHijack(method: string, target: string, upgrade: boolean): boolean {
  if (upgrade) return true;
  if (method !== 'POST') return false;
  const q = target.indexOf('?');
  const path = (q < 0 ? target : target.slice(0, q)).toLowerCase();
  for (const w of HIJACK_WORDS) if (path.includes(w)) return true;
  return false;
}
