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

export type Logger = pino.Logger;

/**
 * A logger writing to `destination`: '-' for stdout, a file path, or undefined for stderr.
 * Writes are asynchronous (buffered) so logging never stalls the proxy; flushed on exit.
 */
export function createLogger(destination: string | undefined, level = 'info'): Logger {
  const dest =
    destination === '-' ? pino.destination({ fd: 1, sync: false })
      : destination ? pino.destination({ dest: destination, sync: false, mkdir: true })
        : pino.destination({ fd: 2, sync: false });
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}

export function logRequest(logger: Logger, record: RequestRecord): void {
  logger.info(record, 'request');
}
