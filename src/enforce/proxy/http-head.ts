// Parsing of HTTP/1.x message heads (request and response) straight from Buffers.
// The proxy forwards the exact bytes it parsed, so this parser is deliberately strict:
// anything another HTTP implementation could read differently (bare LF, obs-fold,
// conflicting lengths, unknown transfer codings) is refused rather than guessed at.

const CR = 13;
const LF = 10;

/** Why a head was refused; `status` is the HTTP status the client gets. */
export class HeadError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** How the body that follows a head is delimited. */
export type BodyFraming =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  | { kind: 'until-close' };

export interface RequestHead {
  method: string;
  /** Request target exactly as sent (path and query). */
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minorVersion: number;
  /** Flat list: name, value, name, value… names as sent. */
  rawHeaders: string[];
  /** The head as sent (latin1, without the final CRLFCRLF): equal texts are equal heads. */
  text: string;
  framing: BodyFraming;
  /** Whether the connection stays open after this exchange (as far as the request says). */
  keepAlive: boolean;
  /** `Connection: Upgrade` with an `Upgrade` header: the answer may be 101 and a raw stream. */
  upgrade: boolean;
  /** `Expect: 100-continue`: the client waits for an interim answer before sending the body. */
  expectContinue: boolean;
}

export interface ResponseHead {
  status: number;
  minorVersion: number;
  contentLength: number; // -1 when absent
  chunked: boolean;
  connectionClose: boolean;
}

/** A Buffer needle: a string one is converted on every search (about 90 ns of each head's parse). */
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/** Index just past the CRLFCRLF that ends a head in `buf`, or -1. `from` lets callers resume a scan. */
export function findHeadEnd(buf: Buffer, from: number): number {
  const i = buf.indexOf(HEAD_END, from < 3 ? 0 : from - 3);
  return i < 0 ? -1 : i + 4;
}

// RFC 9110 token characters, as a lookup table.
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TCHAR[c] = 1;
for (let c = 65; c <= 90; c++) TCHAR[c] = 1;
for (let c = 97; c <= 122; c++) TCHAR[c] = 1;

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (TCHAR[s.charCodeAt(i)] !== 1) return false;
  return true;
}

/** Field values may hold visible characters, spaces, tabs and obs-text; no other control bytes. */
function isFieldValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return false;
  }
  return true;
}

/**
 * Splits a head's text (without its final CRLFCRLF) into lines, refusing bare CR or LF so
 * that no downstream parser can see a different set of lines.
 */
function splitText(text: string): string[] {
  const lines = text.split('\r\n');
  for (const line of lines) {
    if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) throw new HeadError(400, 'malformed HTTP head: bare CR or LF');
  }
  return lines;
}

function parseHeaderLines(lines: string[], rawHeaders: string[]): void {
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HeadError(400, 'malformed HTTP header line');
    const name = line.slice(0, colon);
    if (!isToken(name)) throw new HeadError(400, 'malformed HTTP header name'); // also refuses obs-fold and space before ':'
    const value = line.slice(colon + 1).trim();
    if (!isFieldValue(value)) throw new HeadError(400, `invalid character in header ${name}`);
    rawHeaders.push(name, value);
  }
}

function parseVersion(v: string): number {
  if (v === 'HTTP/1.1') return 1;
  if (v === 'HTTP/1.0') return 0;
  return -1;
}

/** Parses one Content-Length value; duplicates must be identical (as Go's server demands). */
function parseContentLength(value: string, previous: number): number {
  if (value.length === 0 || value.length > 15) throw new HeadError(400, 'invalid Content-Length');
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) throw new HeadError(400, 'invalid Content-Length');
  }
  const n = Number(value);
  if (previous >= 0 && previous !== n) throw new HeadError(400, 'conflicting Content-Length values');
  return n;
}

function hasToken(list: string, token: string): boolean {
  for (const part of list.split(',')) if (part.trim().toLowerCase() === token) return true;
  return false;
}

/** Parses a request head; `end` is the index just past its CRLFCRLF. */
export function parseRequestHead(buf: Buffer, end: number): RequestHead {
  const text = buf.toString('latin1', 0, end - 4);
  const lines = splitText(text);
  const requestLine = lines[0];
  const sp1 = requestLine.indexOf(' ');
  const sp2 = requestLine.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 === sp1) throw new HeadError(400, 'malformed HTTP request line');
  const method = requestLine.slice(0, sp1);
  const target = requestLine.slice(sp1 + 1, sp2);
  const minorVersion = parseVersion(requestLine.slice(sp2 + 1));
  if (!isToken(method)) throw new HeadError(400, 'malformed HTTP method');
  if (minorVersion < 0) throw new HeadError(400, 'unsupported HTTP version');
  if (target.length === 0 || target.charCodeAt(0) !== 47 /* '/' */ || !isVisible(target)) {
    throw new HeadError(400, 'malformed request target');
  }
  const rawHeaders: string[] = [];
  parseHeaderLines(lines, rawHeaders);

  let contentLength = -1;
  let chunked = false;
  let sawTransferEncoding = false;
  let connection = '';
  let upgradeHeader = false;
  let expectContinue = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    // Cheap first-letter filter: most headers are none of these.
    const c = name.charCodeAt(0) | 0x20;
    if (c !== 0x63 /* c */ && c !== 0x74 /* t */ && c !== 0x75 /* u */ && c !== 0x65 /* e */) continue;
    const lower = name.toLowerCase();
    const value = rawHeaders[i + 1];
    if (lower === 'content-length') contentLength = parseContentLength(value, contentLength);
    else if (lower === 'transfer-encoding') {
      if (sawTransferEncoding || value.toLowerCase() !== 'chunked') throw new HeadError(400, 'unsupported Transfer-Encoding');
      sawTransferEncoding = true;
      chunked = true;
    } else if (lower === 'connection') connection += (connection ? ',' : '') + value;
    else if (lower === 'upgrade') upgradeHeader = true;
    else if (lower === 'expect') {
      if (value.toLowerCase() !== '100-continue') throw new HeadError(417, 'unsupported Expect value');
      expectContinue = true;
    }
  }
  if (chunked && contentLength >= 0) throw new HeadError(400, 'both Content-Length and Transfer-Encoding');
  if (chunked && minorVersion === 0) throw new HeadError(400, 'Transfer-Encoding in an HTTP/1.0 request');
  const framing: BodyFraming = chunked
    ? { kind: 'chunked' }
    : contentLength > 0
      ? { kind: 'length', length: contentLength }
      : { kind: 'none' };
  const keepAlive = minorVersion === 1 ? !hasToken(connection, 'close') : hasToken(connection, 'keep-alive');
  const upgrade = upgradeHeader && hasToken(connection, 'upgrade');
  return { method, target, minorVersion, rawHeaders, text, framing, keepAlive, upgrade, expectContinue };
}

function isVisible(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c >= 127) return false;
  }
  return true;
}

/**
 * Parses a response head from the upstream daemon, `buf[start, end)`. Only the headers that
 * decide framing are looked at, and the head is forwarded as received, so it is read in place,
 * byte by byte: no string of it is made. Every response passes through here; the string-based
 * parse allocated about a kilobyte per response, a fifth of all a proxied request allocated.
 * Its strictness matches the request parser's: bare CR or LF, a line without a name, a
 * malformed status line, and conflicting lengths are refused.
 */
export function parseResponseHead(buf: Buffer, end: number, start = 0): ResponseHead {
  const stop = end - 4; // the head without its final CRLFCRLF
  let lineEnd = endOfLine(buf, start, stop);
  // "HTTP/1.1 200 OK": the reason phrase may be empty or hold spaces.
  const minorVersion = lineEnd - start >= 12 && buf[start + 8] === 32 ? versionAt(buf, start) : -1;
  const status = minorVersion < 0 ? -1 : threeDigits(buf, start + 9);
  if (status < 100) throw new HeadError(502, 'malformed upstream status line');
  let contentLength = -1;
  let chunked = false;
  let connectionClose = minorVersion === 0;
  while (lineEnd < stop) {
    const from = lineEnd + 2;
    lineEnd = endOfLine(buf, from, stop);
    let colon = from;
    while (colon < lineEnd && buf[colon] !== 58 /* : */) colon++;
    if (colon === from || colon === lineEnd) throw new HeadError(502, 'malformed upstream header line');
    // Candidates by name length first: content-length 14, transfer-encoding 17, connection 10.
    const nameLength = colon - from;
    if (nameLength === 14 && nameIs(buf, from, 'content-length')) {
      contentLength = contentLengthAt(buf, colon + 1, lineEnd, contentLength);
    } else if (nameLength === 17 && nameIs(buf, from, 'transfer-encoding')) {
      chunked = hasTokenAt(buf, colon + 1, lineEnd, 'chunked');
    } else if (nameLength === 10 && nameIs(buf, from, 'connection')) {
      if (hasTokenAt(buf, colon + 1, lineEnd, 'close')) connectionClose = true;
      else if (hasTokenAt(buf, colon + 1, lineEnd, 'keep-alive')) connectionClose = false;
    }
  }
  return { status, minorVersion, contentLength, chunked, connectionClose };
}

/** Where the line starting at `from` ends (its CR, or `stop`); refuses a bare CR or LF. */
function endOfLine(buf: Buffer, from: number, stop: number): number {
  for (let i = from; i < stop; i++) {
    const c = buf[i];
    if (c === CR) {
      if (i + 1 < stop && buf[i + 1] === LF) return i;
      throw new HeadError(400, 'malformed HTTP head: bare CR or LF');
    }
    if (c === LF) throw new HeadError(400, 'malformed HTTP head: bare CR or LF');
  }
  return stop;
}

/** 1 for "HTTP/1.1", 0 for "HTTP/1.0" at `at`, else -1. */
function versionAt(buf: Buffer, at: number): number {
  for (let i = 0; i < 7; i++) if (buf[at + i] !== HTTP_1_DOT.charCodeAt(i)) return -1;
  const minor = buf[at + 7];
  return minor === 49 /* 1 */ ? 1 : minor === 48 /* 0 */ ? 0 : -1;
}
const HTTP_1_DOT = 'HTTP/1.';

function threeDigits(buf: Buffer, at: number): number {
  let n = 0;
  for (let i = at; i < at + 3; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Whether the header name at `at` is `lowerName`, ignoring ASCII case (its length is known equal). */
function nameIs(buf: Buffer, at: number, lowerName: string): boolean {
  // `| 0x20` lower-cases letters; the only other byte it maps onto '-' is CR, which cannot be here.
  for (let i = 0; i < lowerName.length; i++) if ((buf[at + i]! | 0x20) !== lowerName.charCodeAt(i)) return false;
  return true;
}

/** Optional whitespace around field values and list members: what String.prototype.trim removes in latin1. */
function isTrimmed(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0;
}

/** One Content-Length value in `buf[from, to)`, by the rules of parseContentLength. */
function contentLengthAt(buf: Buffer, from: number, to: number, previous: number): number {
  while (from < to && isTrimmed(buf[from]!)) from++;
  while (to > from && isTrimmed(buf[to - 1]!)) to--;
  if (to === from || to - from > 15) throw new HeadError(400, 'invalid Content-Length');
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) throw new HeadError(400, 'invalid Content-Length');
    n = n * 10 + d;
  }
  if (previous >= 0 && previous !== n) throw new HeadError(400, 'conflicting Content-Length values');
  return n;
}

/** hasToken on the bytes `buf[from, to)`: a comma-separated member equal to `token`, ignoring case. */
function hasTokenAt(buf: Buffer, from: number, to: number, token: string): boolean {
  let member = from;
  for (let i = from; i <= to; i++) {
    if (i < to && buf[i] !== 44 /* , */) continue;
    let a = member;
    let b = i;
    member = i + 1;
    while (a < b && isTrimmed(buf[a]!)) a++;
    while (b > a && isTrimmed(buf[b - 1]!)) b--;
    if (b - a !== token.length) continue;
    let same = true;
    for (let k = 0; k < token.length && same; k++) same = lowerAscii(buf[a + k]!) === token.charCodeAt(k);
    if (same) return true;
  }
  return false;
}

/** ASCII lower case: the tokens looked for are ASCII, so no other letter can match them. */
function lowerAscii(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}
