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

/** Log lines are written in batches of this many bytes, or every FLUSH_MS, whichever comes first. */
const BATCH_BYTES = 8192;
const FLUSH_MS = 200;

/**
 * A logger writing to `destination`: '-' for stdout, a file path, or undefined for stderr.
 * Writes are asynchronous and batched (one write per few dozen requests, at least every
 * 200 ms) so logging costs the request path almost nothing; `flushNow` empties the batch.
 */
export function createLogger(destination: string | undefined, level = 'info'): Logger {
  const batching = { sync: false, minLength: BATCH_BYTES, periodicFlush: FLUSH_MS };
  const dest =
    destination === '-' ? pino.destination({ fd: 1, ...batching })
      : destination ? pino.destination({ dest: destination, mkdir: true, ...batching })
        : pino.destination({ fd: 2, ...batching });
  const logger = pino({ level, base: undefined }, dest) as Logger;
  logger.flushNow = () => {
    try {
      dest.flushSync();
    } catch {
      /* a write is in progress or the file is gone: nothing more to do */
    }
  };
  return logger;
}

export function logRequest(logger: Logger, record: RequestRecord): void {
  logger.info(record, 'request');
}
