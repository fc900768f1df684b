// What dockerd sends an authorization plugin, read defensively. dockerd (pkg/authorization)
// posts one JSON object per request and per response: the caller's name from a TLS client
// certificate (User, UserAuthNMethod "TLS"), the method and the request URI as the client sent
// them, the headers (one value per name, credentials removed), the body as base64 bytes only
// when it chose to send it, and on the response call the status, headers and maybe its body.
// Anything of another shape is refused by the caller: a plugin that guesses lets requests by.

/** One AuthZReq or AuthZRes call, its fields checked for type. */
export interface AuthzCall {
  user: string;
  authMethod: string;
  method: string;
  /** RequestUri as dockerd saw it (may be absolute-form, may end in /auth). */
  uri: string;
  /** Header name lower-cased → value (the value dockerd sent). */
  headers: Record<string, string>;
  /** The body dockerd sent (undefined: it sent none). */
  body: Buffer | undefined;
  peerCertificates: number;
  response?: { status: number; headers: Record<string, string>; body: Buffer | undefined };
}

export class AuthzShapeError extends Error {}

/** Largest number of headers accepted in one call (dockerd sends what the client sent). */
const MAX_HEADERS = 256;

export function readAuthzCall(text: string): AuthzCall {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new AuthzShapeError('the call is not JSON');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new AuthzShapeError('the call is not an object');
  const d = doc as Record<string, unknown>;
  const call: AuthzCall = {
    user: str(d, 'User'),
    authMethod: str(d, 'UserAuthNMethod'),
    method: str(d, 'RequestMethod'),
    uri: str(d, 'RequestUri'),
    headers: headerMap(d.RequestHeaders, 'RequestHeaders'),
    body: bytes(d.RequestBody, 'RequestBody'),
    peerCertificates: Array.isArray(d.RequestPeerCertificates) ? d.RequestPeerCertificates.length : 0,
  };
  if (call.method === '' || !/^[A-Z]+$/.test(call.method))
    throw new AuthzShapeError('RequestMethod is missing or not a method');
  if (call.uri === '') throw new AuthzShapeError('RequestUri is missing');
  if ('ResponseStatusCode' in d || 'ResponseHeaders' in d || 'ResponseBody' in d) {
    const status = d.ResponseStatusCode ?? 0;
    if (typeof status !== 'number' || !Number.isInteger(status))
      throw new AuthzShapeError('ResponseStatusCode is not a number');
    call.response = {
      status,
      headers: headerMap(d.ResponseHeaders, 'ResponseHeaders'),
      body: bytes(d.ResponseBody, 'ResponseBody'),
    };
  }
  return call;
}

function str(d: Record<string, unknown>, key: string): string {
  const v = d[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new AuthzShapeError(`${key} is not a string`);
  return v;
}

function headerMap(v: unknown, key: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new AuthzShapeError(`${key} is not an object`);
  const out: Record<string, string> = Object.create(null);
  let n = 0;
  for (const [name, value] of Object.entries(v as Record<string, unknown>)) {
    if (++n > MAX_HEADERS) throw new AuthzShapeError(`${key} has more than ${MAX_HEADERS} headers`);
    if (typeof value !== 'string') throw new AuthzShapeError(`${key}.${name} is not a string`);
    const lower = name.toLowerCase();
    // Two spellings of one name: which one dockerd meant is not knowable here.
    if (lower in out) throw new AuthzShapeError(`${key} names ${name} twice`);
    out[lower] = value;
  }
  return out;
}

/** Go encodes []byte as standard base64 (null or absent when empty). */
function bytes(v: unknown, key: string): Buffer | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0)
    throw new AuthzShapeError(`${key} is not base64`);
  return Buffer.from(v, 'base64');
}

/**
 * The origin-form target dockerd routed: an absolute-form URI (`http://host/path?q`) is routed
 * by its path, as Go's server does; anything else that is not a path is refused by the caller.
 */
export function originForm(uri: string): string {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(uri);
  if (!m) return uri;
  const rest = uri.slice(m[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
