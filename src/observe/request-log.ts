// One JSON line per request (pino): who asked what, what was decided, how it ended.
import pino from 'pino';
import { encodeRequestLine, requestLineBound, requestLineText, type RequestRecord } from './request-line.js';

export type { RequestRecord };

export type Logger = pino.Logger & {
  /** Writes every line gathered and closes the destination (shutdown); bounded by a few seconds. */
  close(): Promise<void>;
  /** @internal where request lines go (see logRequest). */
  [REQUEST_SINK]: BatchingSink;
};

const REQUEST_SINK = Symbol('request sink');

/**
 * Log lines are written in batches of about this many bytes (some 200 request lines), or every
 * FLUSH_MS, whichever comes first. The request that fills a batch pays for its write, so a
 * batch is large enough for that to stay out of the proxy's p99 (8 KiB batches put it at every
 * 54th request). The bytes live outside the JavaScript heap: unlike lines kept as strings,
 * they are not promoted by the collections they outlive.
 */
const BATCH_BYTES = 32 * 1024;
/** Room for a full batch plus lines of ordinary size, so a line rarely splits a batch. */
const BATCH_CAPACITY = 48 * 1024;
const FLUSH_MS = 200;
const CLOSE_TIMEOUT_MS = 3_000;

type Destination = pino.DestinationStream & { write(bytes: Buffer): boolean; end(): void; once(event: 'close', fn: () => void): unknown };

/**
 * Gathers pino's lines and hands them to the destination in batches of bytes. Each line is
 * encoded into the batch as it comes, so a flush is one write of ready bytes. Why: joining a
 * batch of strings and encoding it at flush time (and sonic-boom's string mode, which encodes
 * its buffer again to account for the bytes written) cost about 60 µs of CPU per batch, all
 * of it on the one request that filled the batch: that request was the proxy's p99 at c=1.
 * Every line of the logger goes through here, so their order is kept.
 */
class BatchingSink {
  private batch = Buffer.allocUnsafeSlow(BATCH_CAPACITY);
  private used = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(readonly destination: Destination) {
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
    liveSinks.add(this);
  }

  write(line: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8: make sure the whole line fits.
    const worst = line.length * 3;
    if (worst > BATCH_CAPACITY - this.used) {
      this.flush();
      if (worst > BATCH_CAPACITY) {
        this.destination.write(Buffer.from(line, 'utf8'));
        return;
      }
    }
    this.used += this.batch.write(line, this.used, 'utf8');
    if (this.used >= BATCH_BYTES) this.flush();
  }

  /** The request line for `record`, encoded straight into the batch (see request-line.ts). */
  writeRequest(record: RequestRecord): void {
    const bound = requestLineBound(record);
    if (bound > BATCH_CAPACITY - this.used) {
      this.flush();
      if (bound > BATCH_CAPACITY) {
        this.write(requestLineText(record, Date.now()));
        return;
      }
    }
    this.used = encodeRequestLine(record, Date.now(), this.batch, this.used);
    if (this.used >= BATCH_BYTES) this.flush();
  }

  flush(): void {
    if (this.used === 0) return;
    // The destination may still hold these bytes (an asynchronous write): a new batch buffer.
    const bytes = this.batch.subarray(0, this.used);
    this.batch = Buffer.allocUnsafeSlow(BATCH_CAPACITY);
    this.used = 0;
    this.destination.write(bytes);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    liveSinks.delete(this);
    this.flush();
    const closed = new Promise<void>((resolve) => {
      this.destination.once('close', resolve);
      setTimeout(resolve, CLOSE_TIMEOUT_MS).unref();
    });
    this.destination.end();
    await closed;
  }
}

// Lines still gathered when the process exits are handed on before it goes (a file is written
// synchronously; for standard output and error, pino's own exit hook writes what is pending).
const liveSinks = new Set<BatchingSink>();
process.once('exit', () => {
  for (const sink of liveSinks) sink.flush();
});

/**
 * A logger writing to `destination`: '-' for stdout, a file path, or undefined for stderr.
 * Lines are batched (one write per few dozen requests, at least every 200 ms) so logging
 * costs the request path little. A file is written synchronously, a batch at a time: its lines
 * stay in order whatever happens, at no cost to speed at this rate. Standard output and error
 * may be pipes whose reader is slow, so they are written asynchronously.
 */
export function createLogger(destination: string | undefined, level = 'info'): Logger {
  const file =
    destination === '-' ? pino.destination({ fd: 1, sync: false, contentMode: 'buffer' })
      : destination ? pino.destination({ dest: destination, mkdir: true, sync: true, contentMode: 'buffer' })
        : pino.destination({ fd: 2, sync: false, contentMode: 'buffer' });
  const sink = new BatchingSink(file as unknown as Destination);
  const logger = pino({ level, base: undefined }, sink) as Logger;
  logger.close = () => sink.close();
  logger[REQUEST_SINK] = sink;
  return logger;
}

/**
 * Logs one request, as the line `logger.info(record, 'request')` would write. The proxy writes
 * one per request, and pino's general serialiser (a loop over the record's keys) was the
 * largest single cost of a proxied request after the socket calls: this line has a fixed shape,
 * so it is encoded directly, into the same sink (order with other lines kept).
 */
export function logRequest(logger: Logger, record: RequestRecord): void {
  if (logger.isLevelEnabled('info')) logger[REQUEST_SINK].writeRequest(record);
}
