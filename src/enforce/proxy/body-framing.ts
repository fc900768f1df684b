// Tracks where a message body ends inside a byte stream, without copying it.
// The proxy forwards bodies as they arrive; it only needs to know how many of the
// bytes in hand still belong to the current message, and (when a policy wants to read
// the body) what the de-chunked payload is.

import { Refusal } from '../../docker/index.js';

/** Longest chunk-size line we accept (hex digits, extensions): generous but bounded. */
const MAX_CHUNK_LINE = 4096;
/** Longest trailer section we accept after the last chunk. */
const MAX_TRAILERS = 64 * 1024;

const enum ChunkState {
  Size, // reading the chunk-size line
  Data, // inside chunk data
  DataCR, // expecting CR after the data
  DataLF, // expecting LF after the data
  Trailer, // after the zero chunk: trailer lines until an empty line
  Done,
}

/**
 * Consumes body bytes. `consume` returns how many bytes of `buf` (from `start`) belong to
 * the body; `done` turns true once the body is complete. When `onPayload` is set, the
 * de-chunked payload is handed to it piece by piece (views into `buf`, not copies).
 */
export interface BodyTracker {
  consume(buf: Buffer, start: number): number;
  readonly done: boolean;
  onPayload?: (piece: Buffer) => void;
}

export class LengthBody implements BodyTracker {
  onPayload?: (piece: Buffer) => void;
  constructor(private remaining: number) {}
  get done(): boolean {
    return this.remaining === 0;
  }
  consume(buf: Buffer, start: number): number {
    const n = Math.min(this.remaining, buf.length - start);
    this.remaining -= n;
    if (this.onPayload && n > 0) this.onPayload(buf.subarray(start, start + n));
    return n;
  }
}

/** A body that lasts until the connection closes (responses only). */
export class UntilCloseBody implements BodyTracker {
  onPayload?: (piece: Buffer) => void;
  readonly done = false;
  consume(buf: Buffer, start: number): number {
    if (this.onPayload) this.onPayload(buf.subarray(start));
    return buf.length - start;
  }
}

export class ChunkedBody implements BodyTracker {
  onPayload?: (piece: Buffer) => void;
  private state = ChunkState.Size;
  private remaining = 0; // bytes left in the current chunk
  private lineLength = 0; // bytes seen of the current size/trailer line
  private size = 0; // chunk size being parsed
  private sizeDigits = 0;
  private inExtension = false;
  private sawCR = false;
  private trailerBytes = 0;

  constructor(private readonly errorStatus = 400) {}

  get done(): boolean {
    return this.state === ChunkState.Done;
  }

  private fail(message: string): never {
    throw new Refusal(this.errorStatus, message);
  }

  consume(buf: Buffer, start: number): number {
    let i = start;
    const end = buf.length;
    while (i < end && this.state !== ChunkState.Done) {
      switch (this.state) {
        case ChunkState.Data: {
          // The bulk of the bytes: skipped in one step, never scanned.
          const n = Math.min(this.remaining, end - i);
          if (this.onPayload) this.onPayload(buf.subarray(i, i + n));
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = ChunkState.DataCR;
          break;
        }
        case ChunkState.DataCR:
          if (buf[i++] !== 13) this.fail('malformed chunked body: missing CRLF after chunk data');
          this.state = ChunkState.DataLF;
          break;
        case ChunkState.DataLF:
          if (buf[i++] !== 10) this.fail('malformed chunked body: missing CRLF after chunk data');
          this.state = ChunkState.Size;
          break;
        case ChunkState.Size:
          i = this.sizeLine(buf, i, end);
          break;
        case ChunkState.Trailer:
          i = this.trailerLine(buf, i, end);
          break;
      }
    }
    return i - start;
  }

  private sizeLine(buf: Buffer, i: number, end: number): number {
    while (i < end) {
      const c = buf[i++]!;
      if (++this.lineLength > MAX_CHUNK_LINE) this.fail('malformed chunked body: chunk-size line too long');
      if (this.sawCR) {
        if (c !== 10) this.fail('malformed chunked body: bare CR');
        if (this.sizeDigits === 0) this.fail('malformed chunked body: missing chunk size');
        this.lineLength = 0;
        this.sawCR = false;
        this.inExtension = false;
        this.sizeDigits = 0;
        if (this.size === 0) {
          this.state = ChunkState.Trailer;
        } else {
          this.remaining = this.size;
          this.size = 0;
          this.state = ChunkState.Data;
        }
        return i;
      }
      if (c === 13) {
        this.sawCR = true;
      } else if (c === 10) {
        this.fail('malformed chunked body: bare LF');
      } else if (this.inExtension) {
        if (c < 32 && c !== 9) this.fail('malformed chunked body: control byte in chunk extension');
      } else if (c === 59 /* ; */) {
        this.inExtension = true;
      } else {
        const digit = hexValue(c);
        if (digit < 0) {
          // Whitespace before an extension is tolerated by some peers; anything else is not a size.
          if ((c === 32 || c === 9) && this.sizeDigits > 0) {
            this.inExtension = true;
            continue;
          }
          this.fail('malformed chunked body: bad chunk size');
        }
        if (++this.sizeDigits > 12) this.fail('malformed chunked body: chunk size too large');
        this.size = this.size * 16 + digit;
      }
    }
    return i;
  }

  private trailerLine(buf: Buffer, i: number, end: number): number {
    while (i < end) {
      const c = buf[i++];
      if (++this.trailerBytes > MAX_TRAILERS) this.fail('malformed chunked body: trailers too long');
      if (this.sawCR) {
        if (c !== 10) this.fail('malformed chunked body: bare CR in trailer');
        this.sawCR = false;
        if (this.lineLength === 0) {
          this.state = ChunkState.Done;
          return i;
        }
        this.lineLength = 0;
      } else if (c === 13) {
        this.sawCR = true;
      } else if (c === 10) {
        this.fail('malformed chunked body: bare LF in trailer');
      } else {
        this.lineLength++;
      }
    }
    return i;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}
