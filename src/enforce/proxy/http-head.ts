// Parsing of HTTP/1.x message heads (request and response) straight from Buffers.
// The proxy forwards the exact bytes it parsed, so this parser is deliberately strict:
// anything another HTTP implementation could read differently (bare LF, obs-fold,
// conflicting lengths, unknown transfer codings) is refused rather than guessed at.

//
// A head refused throws a Refusal: its `status` is the HTTP status the client gets.
import { Refusal } from '../../docker/index.js';

const CR = 13;
const LF = 10;

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
  /** Flat list: name, value, name, value… names as sent, values without OWS around them. */
  readonly rawHeaders: readonly string[];
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

/**
 * A Buffer needle, made once: a string needle is converted to bytes on every search, on the
 * path of every request (bench/proxy.ts, `/_ping` proxy CPU per request).
 */
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

const SP = 32;
const HTAB = 9;
const COLON = 58;

/**
 * Optional whitespace around field values and list members (RFC 9110 OWS): space and tab,
 * nothing else. It is what Go's net/http (dockerd, the docker CLI) trims, so a value reads the
 * same here as there; a vertical tab or a no-break space stays part of the value.
 */
function isOws(c: number): boolean {
  return c === SP || c === HTAB;
}

/** A field value's byte: visible characters, space, tab and obs-text; no other control byte. */
function isFieldValueByte(c: number): boolean {
  return (c >= 32 || c === HTAB) && c !== 127;
}

/**
 * Parses a request head; `end` is the index just past its CRLFCRLF. The head is validated
 * where it lies in the buffer, byte by byte; the only strings made are the head's latin1 text
 * without the CRLFCRLF (the decision memo's key), the method and the target, each a slice of
 * that text. The header list is made from the text only when something asks for it: a request
 * whose decision is remembered never does.
 */
export function parseRequestHead(buf: Buffer, end: number): RequestHead {
  const stop = end - 4; // the head without its final CRLFCRLF
  // "METHOD SP /target SP HTTP/1.x CRLF", in one pass: a token, a target of visible bytes.
  let i = 0;
  while (i < stop && TCHAR[buf[i]!] === 1) i++;
  const sp1 = i;
  if (sp1 === 0 || buf[sp1] !== SP || buf[sp1 + 1] !== 47 /* '/' */) throw requestLineError(buf, stop);
  i = sp1 + 1;
  while (i < stop && isVisibleByte(buf[i]!)) i++;
  const sp2 = i;
  const minorVersion = buf[sp2] === SP && sp2 + 9 <= stop ? versionAt(buf, sp2 + 1) : -1;
  let lineEnd = sp2 + 9;
  if (minorVersion < 0 || (lineEnd < stop && (buf[lineEnd] !== CR || buf[lineEnd + 1] !== LF)))
    throw requestLineError(buf, stop);

  let contentLength = -1;
  let chunked = false;
  let upgradeHeader = false;
  let expectContinue = false;
  // Connection tokens over all Connection headers, as if their values were one list.
  let connectionClose = false;
  let connectionKeepAlive = false;
  let connectionUpgrade = false;
  while (lineEnd < stop) {
    // One pass per line: a token name, a colon, value bytes up to the CRLF.
    const from = lineEnd + 2;
    let colon = from;
    while (colon < stop && TCHAR[buf[colon]!] === 1) colon++;
    if (colon === from || buf[colon] !== COLON) throw headerLineError(buf, from, stop);
    lineEnd = colon + 1;
    while (lineEnd < stop) {
      const c = buf[lineEnd]!;
      if (c === CR && buf[lineEnd + 1] === LF) break;
      if (!isFieldValueByte(c)) {
        if (c === CR || c === LF) throw new Refusal(400, 'malformed HTTP head: bare CR or LF');
        throw new Refusal(400, `invalid character in header ${buf.toString('latin1', from, colon)}`);
      }
      lineEnd++;
    }
    let a = colon + 1;
    let b = lineEnd;
    while (a < b && isOws(buf[a]!)) a++;
    while (b > a && isOws(buf[b - 1]!)) b--;
    // Candidates by name length first: most headers are none of these.
    const nameLength = colon - from;
    if (nameLength === 14 && nameIs(buf, from, 'content-length')) {
      contentLength = digitsAt(buf, a, b, contentLength);
    } else if (nameLength === 17 && nameIs(buf, from, 'transfer-encoding')) {
      if (chunked || !equalsIgnoringCase(buf, a, b, 'chunked')) throw new Refusal(400, 'unsupported Transfer-Encoding');
      chunked = true;
    } else if (nameLength === 10 && nameIs(buf, from, 'connection')) {
      // As dockerd (Go's server) reads a request's Connection: a word between spaces counts too
      // ("x keep-alive" keeps an HTTP/1.0 connection open there), not only a list member.
      connectionClose ||= hasTokenAt(buf, a, b, 'close', true);
      connectionKeepAlive ||= hasTokenAt(buf, a, b, 'keep-alive', true);
      connectionUpgrade ||= hasTokenAt(buf, a, b, 'upgrade', true);
    } else if (nameLength === 7 && nameIs(buf, from, 'upgrade')) {
      upgradeHeader = true;
    } else if (nameLength === 6 && nameIs(buf, from, 'expect')) {
      if (!equalsIgnoringCase(buf, a, b, '100-continue')) throw new Refusal(417, 'unsupported Expect value');
      expectContinue = true;
    }
  }
  if (chunked && contentLength >= 0) throw new Refusal(400, 'both Content-Length and Transfer-Encoding');
  if (chunked && minorVersion === 0) throw new Refusal(400, 'Transfer-Encoding in an HTTP/1.0 request');
  const framing: BodyFraming = chunked
    ? CHUNKED
    : contentLength > 0
      ? { kind: 'length', length: contentLength }
      : NO_BODY;
  const text = buf.toString('latin1', 0, stop);
  return new ParsedRequestHead(
    text.slice(0, sp1),
    text.slice(sp1 + 1, sp2),
    minorVersion,
    text,
    framing,
    minorVersion === 1 ? !connectionClose : connectionKeepAlive,
    upgradeHeader && connectionUpgrade,
    expectContinue,
  );
}

const CHUNKED: BodyFraming = Object.freeze({ kind: 'chunked' });
const NO_BODY: BodyFraming = Object.freeze({ kind: 'none' });

/** Request-target bytes: visible ASCII, no space. */
function isVisibleByte(c: number): boolean {
  return c > 32 && c < 127;
}

/** Which rule a request line broke, for the refusal's message (the parse only knows that one did). */
function requestLineError(buf: Buffer, stop: number): Refusal {
  const lineEnd = endOfLine(buf, 0, stop); // throws on a bare CR or LF
  const line = buf.toString('latin1', 0, lineEnd);
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 === sp1) return new Refusal(400, 'malformed HTTP request line');
  for (let i = 0; i < sp1; i++) if (TCHAR[line.charCodeAt(i)] !== 1) return new Refusal(400, 'malformed HTTP method');
  const version = line.slice(sp2 + 1);
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') return new Refusal(400, 'unsupported HTTP version');
  return new Refusal(400, 'malformed request target');
}

/** Which rule a header line without a proper `name:` broke, for the refusal's message. */
function headerLineError(buf: Buffer, from: number, stop: number): Refusal {
  const lineEnd = endOfLine(buf, from, stop); // throws on a bare CR or LF
  const colon = buf.indexOf(COLON, from);
  return colon <= from || colon >= lineEnd
    ? new Refusal(400, 'malformed HTTP header line')
    : new Refusal(400, 'malformed HTTP header name');
}

/** A head parseRequestHead accepted; the header list is read from its text on first use. */
class ParsedRequestHead implements RequestHead {
  private headers: string[] | undefined;

  constructor(
    readonly method: string,
    readonly target: string,
    readonly minorVersion: number,
    readonly text: string,
    readonly framing: BodyFraming,
    readonly keepAlive: boolean,
    readonly upgrade: boolean,
    readonly expectContinue: boolean,
  ) {}

  get rawHeaders(): readonly string[] {
    if (this.headers === undefined) {
      // The text passed validation: every line after the first is `name:value` with CRLF between lines.
      const list: string[] = [];
      let from = this.text.indexOf('\r\n');
      while (from >= 0) {
        const next = this.text.indexOf('\r\n', from + 2);
        const line = this.text.slice(from + 2, next < 0 ? undefined : next);
        const colon = line.indexOf(':');
        list.push(line.slice(0, colon), trimOws(line, colon + 1));
        from = next;
      }
      this.headers = list;
    }
    return this.headers;
  }
}

/** `s` from `from`, without OWS at either end. */
function trimOws(s: string, from: number): string {
  let a = from;
  let b = s.length;
  while (a < b && isOws(s.charCodeAt(a))) a++;
  while (b > a && isOws(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

/**
 * Parses a response head from the upstream daemon, `buf[start, end)`. Only the headers that
 * decide framing are looked at, and the head is forwarded as received, so it is read in place,
 * byte by byte: no string of it is made, since every response passes through here and what it
 * allocates is garbage on every request (bench/proxy.ts, proxy CPU per request). Its strictness matches the request parser's: bare CR or LF, a line without a name, a
 * malformed status line, and conflicting lengths are refused.
 */
export function parseResponseHead(buf: Buffer, end: number, start = 0): ResponseHead {
  const stop = end - 4; // the head without its final CRLFCRLF
  let lineEnd = endOfLine(buf, start, stop);
  // "HTTP/1.1 200 OK": the reason phrase may be empty or hold spaces.
  const minorVersion = lineEnd - start >= 12 && buf[start + 8] === 32 ? versionAt(buf, start) : -1;
  const status = minorVersion < 0 ? -1 : threeDigits(buf, start + 9);
  if (status < 100) throw new Refusal(502, 'malformed upstream status line');
  let contentLength = -1;
  let chunked = false;
  let connectionClose = minorVersion === 0;
  while (lineEnd < stop) {
    // One pass per line: the name up to its colon, then the value up to the CRLF.
    const from = lineEnd + 2;
    let colon = from;
    while (colon < stop) {
      const c = buf[colon]!;
      if (c === COLON || c === CR || c === LF) break;
      colon++;
    }
    if (colon === from || colon === stop || buf[colon] !== COLON) {
      endOfLine(buf, from, stop); // a bare CR or LF is refused as such
      throw new Refusal(502, 'malformed upstream header line');
    }
    lineEnd = endOfLine(buf, colon + 1, stop);
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
      throw new Refusal(400, 'malformed HTTP head: bare CR or LF');
    }
    if (c === LF) throw new Refusal(400, 'malformed HTTP head: bare CR or LF');
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

/** A response's Content-Length value in `buf[from, to)`: OWS around it, then as digitsAt. */
function contentLengthAt(buf: Buffer, from: number, to: number, previous: number): number {
  while (from < to && isOws(buf[from]!)) from++;
  while (to > from && isOws(buf[to - 1]!)) to--;
  return digitsAt(buf, from, to, previous);
}

/**
 * A Content-Length value, `buf[from, to)` already trimmed: 1 to 15 decimal digits and nothing
 * else (no sign, no list). A repeated Content-Length must be the same number, as Go's server demands.
 */
function digitsAt(buf: Buffer, from: number, to: number, previous: number): number {
  if (to === from || to - from > 15) throw new Refusal(400, 'invalid Content-Length');
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) throw new Refusal(400, 'invalid Content-Length');
    n = n * 10 + d;
  }
  if (previous >= 0 && previous !== n) throw new Refusal(400, 'conflicting Content-Length values');
  return n;
}

/** Whether `buf[from, to)` is `lower` (ASCII), ignoring case. */
function equalsIgnoringCase(buf: Buffer, from: number, to: number, lower: string): boolean {
  if (to - from !== lower.length) return false;
  for (let k = 0; k < lower.length; k++) if (lowerAscii(buf[from + k]!) !== lower.charCodeAt(k)) return false;
  return true;
}

/**
 * Whether the comma-separated list in `buf[from, to)` has a member equal to `token`, ignoring
 * case; with `wordsToo`, spaces and tabs separate members as commas do.
 */
function hasTokenAt(buf: Buffer, from: number, to: number, token: string, wordsToo = false): boolean {
  let member = from;
  for (let i = from; i <= to; i++) {
    if (i < to && buf[i] !== 44 /* , */ && !(wordsToo && isOws(buf[i]!))) continue;
    let a = member;
    let b = i;
    member = i + 1;
    while (a < b && isOws(buf[a]!)) a++;
    while (b > a && isOws(buf[b - 1]!)) b--;
    if (equalsIgnoringCase(buf, a, b, token)) return true;
  }
  return false;
}

/** ASCII lower case: the tokens looked for are ASCII, so no other letter can match them. */
function lowerAscii(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}
