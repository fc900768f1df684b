// One JSON line per request (pino): who asked what, what was decided, how it ended.
import pino from 'pino';

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
  reason?: string;
}

export type Logger = pino.Logger & { flushNow(): void };

/** Log lines are written in batches of about this many characters, or every FLUSH_MS, whichever comes first. */
const BATCH_CHARS = 8192;
const FLUSH_MS = 200;

/**
 * Gathers pino's lines and hands them to the file in batches. Why not sonic-boom's own
 * `minLength` batching: it measures the UTF-8 length of everything buffered so far on every
 * line, which made each request line cost several microseconds under load. Every line of the
 * logger goes through here, so their order is kept.
 */
class BatchingSink {
  private lines: string[] = [];
  private chars = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly file: pino.DestinationStream & { flushSync(): void }) {
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
    liveSinks.add(this);
  }

  write(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= BATCH_CHARS) this.flush();
  }

  flush(): void {
    if (this.lines.length === 0) return;
    const batch = this.lines.length === 1 ? this.lines[0]! : this.lines.join('');
    this.lines = [];
    this.chars = 0;
    this.file.write(batch);
  }

  /** Everything gathered, on disk now (shutdown). */
  flushSync(): void {
    this.flush();
    try {
      this.file.flushSync();
    } catch {
      /* a write is in progress or the file is gone: nothing more to do */
    }
  }
}

// Lines still gathered when the process exits are written before it goes.
const liveSinks = new Set<BatchingSink>();
process.once('exit', () => {
  for (const sink of liveSinks) sink.flushSync();
});

/**
 * A logger writing to `destination`: '-' for stdout, a file path, or undefined for stderr.
 * Writes are asynchronous and batched (one write per few dozen requests, at least every
 * 200 ms) so logging costs the request path little; `flushNow` empties the batch.
 */
export function createLogger(destination: string | undefined, level = 'info'): Logger {
  const file =
    destination === '-' ? pino.destination({ fd: 1, sync: false })
      : destination ? pino.destination({ dest: destination, mkdir: true, sync: false })
        : pino.destination({ fd: 2, sync: false });
  const sink = new BatchingSink(file);
  const logger = pino({ level, base: undefined }, sink) as Logger;
  logger.flushNow = () => sink.flushSync();
  return logger;
}

export function logRequest(logger: Logger, record: RequestRecord): void {
  logger.info(record, 'request');
}
