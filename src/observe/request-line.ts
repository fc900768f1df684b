// The request line of the log, encoded straight into bytes. It is exactly the line
// `logger.info(record, 'request')` makes (pino's keys, order and number format): the proxy
// writes one per request, so the line is written as bytes, never built as a string first
// (template, JSON.stringify, then UTF-8). The proxy rows of `npm run bench` (CPU per request)
// guard this; the cost it saved is in the commit that made it.

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  uid: number | null;
  user: string;
  /** allow | deny | reject (malformed, never judged) | error (decision failed: denied). */
  decision: 'allow' | 'deny' | 'reject' | 'error';
  /** Milliseconds from the end of the request head to the end of the response. */
  duration: number;
  reason?: string | undefined;
}

/** The line as a string: the encoder's fallback for lines too long for a batch. */
export function requestLineText(r: RequestRecord, time: number): string {
  const json = JSON.stringify;
  const reason = r.reason === undefined ? '' : `,"reason":${json(r.reason)}`;
  return (
    `{"level":30,"time":${json(time)},"method":${json(r.method)},"path":${json(r.path)},"status":${json(r.status)},` +
    `"uid":${json(r.uid)},"user":${json(r.user)},"decision":"${r.decision}",` +
    `"duration":${json(r.duration)}${reason},"msg":"request"}\n`
  );
}

/** Bytes the encoder may need for `r`: a character takes at most 6 bytes in a JSON string (\u001f). */
export function requestLineBound(r: RequestRecord): number {
  return 200 + 6 * (r.method.length + r.path.length + r.user.length + (r.reason === undefined ? 0 : r.reason.length));
}

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const OPEN = ascii('{"level":30,"time":');
const METHOD = ascii(',"method":');
const PATH = ascii(',"path":');
const STATUS = ascii(',"status":');
const UID = ascii(',"uid":');
const NULL = ascii('null');
const USER = ascii(',"user":');
const DECISION = ascii(',"decision":"');
const DURATION = ascii('","duration":');
const REASON = ascii(',"reason":');
const CLOSE = ascii(',"msg":"request"}\n');

/** Bytes of the repeating part of a line kept for the next: lines with longer paths are made anew. */
const MAX_KEPT_MIDDLE = 512;

/**
 * Writes request lines into byte buffers. Under load most lines repeat the one before them but
 * for the time and the duration (the same request from the same caller with the same answer,
 * and many requests within one millisecond), so the encoder keeps the bytes of the last line's
 * time prefix and of its fields from "method" to "duration", and copies them while they still
 * apply: encode only what changed (guarded by the proxy's CPU per request in `npm run bench`).
 */
export class RequestLineEncoder {
  private prefixTime = -1;
  /** `{"level":30,"time":` and the digits of `prefixTime`. */
  private prefix: Uint8Array = new Uint8Array(0);
  // The fields the kept middle was made from. A connection that repeats a request hands over the
  // very same strings each time (the head is reused, see repeated-head.ts): one check each.
  private method = '';
  private path = '';
  private status = -1;
  private uid: number | null = -1;
  private user = '';
  private decision = '';
  /** `,"method":…` through `,"duration":` of the last line, or empty. */
  private middle: Uint8Array = new Uint8Array(0);

  /**
   * Writes the line for `r` into `buf` at `at` (room for requestLineBound(r) bytes is the
   * caller's) and returns where it ends. Strings of printable ASCII are copied as they are;
   * anything else goes through JSON.stringify, so escaping is always JavaScript's own.
   */
  encode(r: RequestRecord, time: number, buf: Buffer, at: number): number {
    if (time !== this.prefixTime) {
      const start = at;
      at = putNumber(buf, put(buf, at, OPEN), time);
      this.prefix = copyOf(buf, start, at);
      this.prefixTime = time;
    } else {
      buf.set(this.prefix, at);
      at += this.prefix.length;
    }
    if (
      this.middle.length > 0 &&
      r.method === this.method &&
      r.path === this.path &&
      r.status === this.status &&
      r.uid === this.uid &&
      r.user === this.user &&
      r.decision === this.decision
    ) {
      buf.set(this.middle, at);
      at += this.middle.length;
    } else {
      const start = at;
      at = encodeMiddle(r, buf, at);
      this.middle = at - start <= MAX_KEPT_MIDDLE ? copyOf(buf, start, at) : new Uint8Array(0);
      this.method = r.method;
      this.path = r.path;
      this.status = r.status;
      this.uid = r.uid;
      this.user = r.user;
      this.decision = r.decision;
    }
    at = putMilliseconds(buf, at, r.duration);
    if (r.reason !== undefined) {
      at = put(buf, at, REASON);
      at = putString(buf, at, r.reason);
    }
    return put(buf, at, CLOSE);
  }
}

function copyOf(buf: Buffer, from: number, to: number): Uint8Array {
  const bytes = new Uint8Array(to - from);
  bytes.set(buf.subarray(from, to));
  return bytes;
}

/** The fields from "method" to the key of "duration", which repeat from line to line. */
function encodeMiddle(r: RequestRecord, buf: Buffer, at: number): number {
  at = put(buf, at, METHOD);
  at = putString(buf, at, r.method);
  at = put(buf, at, PATH);
  at = putString(buf, at, r.path);
  at = put(buf, at, STATUS);
  at = putNumber(buf, at, r.status);
  at = put(buf, at, UID);
  at = r.uid === null ? put(buf, at, NULL) : putNumber(buf, at, r.uid);
  at = put(buf, at, USER);
  at = putString(buf, at, r.user);
  at = put(buf, at, DECISION);
  for (let i = 0; i < r.decision.length; i++) buf[at++] = r.decision.charCodeAt(i);
  return put(buf, at, DURATION);
}

function put(buf: Buffer, at: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) buf[at + i] = bytes[i]!;
  return at + bytes.length;
}

function putString(buf: Buffer, at: number, s: string): number {
  const start = at;
  buf[at++] = 0x22; // "
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // Printable ASCII but " and \ is JSON as it is; anything else, JSON.stringify's escaping.
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return start + buf.write(JSON.stringify(s), start, 'utf8');
    buf[at++] = c;
  }
  buf[at++] = 0x22;
  return at;
}

/** A non-negative safe integer in decimal; any other number as JSON has it (NaN is null). */
function putNumber(buf: Buffer, at: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) return at + buf.write(JSON.stringify(n), at, 'latin1');
  return putDigits(buf, at, n, 1);
}

/**
 * `n` (a non-negative safe integer) in decimal, padded with zeros to at least `width` digits.
 * Numbers of 10 digits or more (the time) are done in parts below 10^9, so that every step is
 * small-integer arithmetic: on a double, `%` is a call into C, and 13 of them made the time
 * the dearest field of the line.
 */
function putDigits(buf: Buffer, at: number, n: number, width: number): number {
  if (n >= 1e9) {
    const high = Math.floor(n / 1e9);
    at = putDigits(buf, at, high, width > 9 ? width - 9 : 1);
    return putDigits(buf, at, n - high * 1e9, 9);
  }
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  if (digits < width) digits = width;
  for (let i = at + digits - 1; i >= at; i--) {
    const q = (n / 10) | 0;
    buf[i] = 48 + n - q * 10;
    n = q;
  }
  return at + digits;
}

/**
 * A duration rounded to the microsecond, as JavaScript prints it: for a whole number k of
 * microseconds below 10^12, k / 1000 prints as its integer part and up to three decimals with
 * the trailing zeros dropped (the doubles there are finer than 0.001, so no shorter decimal
 * reads back as the same number). Any other number is written as JSON has it.
 */
function putMilliseconds(buf: Buffer, at: number, ms: number): number {
  const us = Math.round(ms * 1000);
  if (!(us >= 0 && us < 1e12 && us / 1000 === ms)) return putNumber(buf, at, ms);
  at = putDigits(buf, at, Math.floor(us / 1000), 1);
  let fraction = us % 1000;
  if (fraction === 0) return at;
  let width = 3;
  while (fraction % 10 === 0) {
    fraction /= 10;
    width--;
  }
  buf[at++] = 0x2e; // .
  return putDigits(buf, at, fraction, width);
}
