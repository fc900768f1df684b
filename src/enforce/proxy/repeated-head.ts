// The last head a connection read, kept to recognise it when the same bytes come again.
//
// Clients that poll send the same request head again and again, and the daemon's answer to it
// keeps the same head until its Date header moves to the next second. A head recognised here is
// neither searched for its end nor parsed: one comparison of bytes instead, and the parse kept
// from before is used again (the same strings too, which later comparisons find identical).

export class RepeatedHead<T> {
  private bytes: Buffer | null = null;
  private parsed: T | null = null;

  /** @param maxBytes the longest head kept: a connection holds at most this much for it. */
  constructor(private readonly maxBytes: number) {}

  /**
   * Where the head at `buf[from]` ends if it is byte for byte the kept one, else -1. The kept
   * bytes are a whole head, whose first CRLFCRLF is its last four bytes: equal bytes end there too.
   */
  match(buf: Buffer, from: number): number {
    const kept = this.bytes;
    if (kept === null) return -1;
    const end = from + kept.length;
    return end <= buf.length && buf.compare(kept, 0, kept.length, from, end) === 0 ? end : -1;
  }

  /** What was parsed from the kept head; call after a match. */
  get head(): T {
    return this.parsed!;
  }

  /** Keeps the head `buf[from, end)` and its parse (copied: `buf` may be a read buffer reused later). */
  keep(buf: Buffer, from: number, end: number, parsed: T): void {
    if (end - from > this.maxBytes) {
      this.forget();
      return;
    }
    this.bytes = Buffer.from(buf.subarray(from, end));
    this.parsed = parsed;
  }

  forget(): void {
    this.bytes = null;
    this.parsed = null;
  }
}
