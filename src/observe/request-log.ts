// One JSON line per request (pino): who asked what, what was decided, how it ended.
import pino from 'pino';
import { RequestLineEncoder, requestLineBound, requestLineText, type RequestRecord } from './request-line.js';

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
 * batch is large enough for that to stay out of the proxy's p99 (`npm run bench`, c=1). The bytes live outside the JavaScript heap: unlike lines kept as strings,
 * they are not promoted by the collections they outlive.
 */
const BATCH_BYTES = 32 * 1024;
/** Room for a full batch plus lines of ordinary size, so a line rarely splits a batch. */
const BATCH_CAPACITY = 48 * 1024;
const FLUSH_MS = 200;
const CLOSE_TIMEOUT_MS = 3_000;
/** Bytes a destination that cannot be written (disk full) keeps to try again; lines beyond are dropped. */
const MAX_UNWRITTEN = 16 * 1024 * 1024;
/** A destination that keeps failing is reported on stderr at most this often. */
const WARN_EVERY_MS = 60_000;

type Destination = pino.DestinationStream & {
  write(bytes: Buffer): boolean;
  end(): void;
  once(event: 'close', fn: () => void): unknown;
  on(event: 'error', fn: (err: NodeJS.ErrnoException) => void): unknown;
  on(event: 'drop', fn: (bytes: Buffer) => void): unknown;
};

/**
 * Gathers pino's lines and hands them to the destination in batches of bytes. Each line is
 * encoded into the batch as it comes, so a flush is one write of ready bytes. Rule: no work
 * proportional to the batch at flush time (no joining of strings, no sonic-boom string mode,
 * which encodes its buffer again to count the bytes written): it would all land on the one
 * request that filled the batch, the proxy's p99 at c=1 in `npm run bench`.
 * Every line of the logger goes through here, so their order is kept.
 */
class BatchingSink {
  private batch = Buffer.allocUnsafeSlow(BATCH_CAPACITY);
  private used = 0;
  private readonly requestLines = new RequestLineEncoder();
  private readonly timer: NodeJS.Timeout;
  private droppedLines = 0;
  private lastWarning = -Infinity;

  constructor(
    readonly destination: Destination,
    private readonly name: string,
  ) {
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
    liveSinks.add(this);
    // A log that cannot be written (a full disk, a file gone bad) must not stop the proxy. The
    // destination keeps what it could not write and tries again with the next batch, up to
    // MAX_UNWRITTEN bytes; past that it drops lines, and says how many.
    destination.on('error', (err) => this.unwritable(err));
    destination.on('drop', (bytes) => {
      for (const byte of bytes) if (byte === 10) this.droppedLines++;
    });
  }

  private unwritable(err: NodeJS.ErrnoException): void {
    if (err.code === 'EPIPE') return; // the reader has gone: pino stops writing to it
    const now = Date.now();
    if (now - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = now;
    const dropped = this.droppedLines > 0 ? `; ${this.droppedLines} lines dropped so far` : '';
    warn(
      `dockgate: cannot write the log (${this.name}): ${err.message}; its lines are kept to write later, up to ${MAX_UNWRITTEN / 1024 / 1024} MiB${dropped}`,
    );
  }

  write(line: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    if (!this.room(line.length * 3)) {
      this.destination.write(Buffer.from(line, 'utf8'));
      return;
    }
    this.used += this.batch.write(line, this.used, 'utf8');
    if (this.used >= BATCH_BYTES) this.flush();
  }

  /** The request line for `record`, encoded straight into the batch (see request-line.ts). */
  writeRequest(record: RequestRecord): void {
    if (!this.room(requestLineBound(record))) {
      this.write(requestLineText(record, Date.now()));
      return;
    }
    this.used = this.requestLines.encode(record, Date.now(), this.batch, this.used);
    if (this.used >= BATCH_BYTES) this.flush();
  }

  /** Makes room for `bytes` more in the batch, flushing it first if need be; false if no batch could hold them. */
  private room(bytes: number): boolean {
    if (bytes <= BATCH_CAPACITY - this.used) return true;
    this.flush();
    return bytes <= BATCH_CAPACITY;
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
    // A destination that cannot be written never closes: bounded wait, which keeps the process alive meanwhile.
    let timer: NodeJS.Timeout | undefined;
    const closed = new Promise<boolean>((resolve) => {
      this.destination.once('close', () => resolve(true));
      timer = setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS);
    });
    this.destination.end();
    const whole = await closed;
    clearTimeout(timer);
    if (this.droppedLines > 0 || !whole) {
      const dropped = this.droppedLines > 0 ? `${this.droppedLines} lines were dropped` : '';
      const unwritten = whole
        ? ''
        : `the lines still waiting to be written after ${CLOSE_TIMEOUT_MS / 1000} s are lost`;
      warn(`dockgate: the log (${this.name}) is incomplete: ${[dropped, unwritten].filter(Boolean).join('; ')}`);
    }
  }
}

function warn(line: string): void {
  try {
    process.stderr.write(`${line}\n`);
  } catch {
    // stderr itself may be what failed
  }
}

// Lines still gathered when the process exits are handed on before it goes (a file is written
// synchronously; for standard output and error, pino's own exit hooks write what is pending).
// Both hooks are needed, and must run before pino's, which this module's load order ensures: on
// 'beforeExit' pino flushes standard output and ends it once drained, so lines handed on only at
// 'exit' would go to an ended stream and be lost.
const liveSinks = new Set<BatchingSink>();
const flushLiveSinks = () => {
  for (const sink of liveSinks) sink.flush();
};
process.on('beforeExit', flushLiveSinks);
process.once('exit', flushLiveSinks);

/**
 * A logger writing to `destination`: '-' for stdout, a file path, or undefined for stderr.
 * Lines are batched (one write per BATCH_BYTES of lines, at least every FLUSH_MS) so logging
 * costs the request path little. A file is written synchronously, a batch at a time: its lines
 * stay in order whatever happens, at no cost to speed at this rate. Standard output and error
 * may be pipes whose reader is slow, so they are written asynchronously.
 */
export function createLogger(destination: string | undefined, level = 'info'): Logger {
  const common = { contentMode: 'buffer', maxLength: MAX_UNWRITTEN } as const;
  const file =
    destination === '-'
      ? pino.destination({ fd: 1, sync: false, ...common })
      : destination
        ? pino.destination({ dest: destination, mkdir: true, sync: true, ...common })
        : pino.destination({ fd: 2, sync: false, ...common });
  const sink = new BatchingSink(
    file as unknown as Destination,
    destination === '-' ? 'stdout' : (destination ?? 'stderr'),
  );
  const logger = pino({ level, base: undefined }, sink) as Logger;
  logger.close = () => sink.close();
  logger[REQUEST_SINK] = sink;
  return logger;
}

/**
 * Writes one line per request, exactly the line `logger.info(record, 'request')` would write. The
 * proxy writes one per request, and pino's general serialiser (a loop over the record's keys) was
 * the largest single cost of a proxied request after the socket calls: this line has a fixed
 * shape, so it is encoded directly, into the logger's own sink (order with its other lines kept).
 * The sink and the level are looked up once, here, not per request on the logger (a pino logger
 * is a slow object to read from); a change of level is followed.
 */
export class RequestLog {
  private readonly sink: BatchingSink;
  private enabled: boolean;

  constructor(logger: Logger) {
    this.sink = logger[REQUEST_SINK];
    this.enabled = logger.isLevelEnabled('info');
    logger.on('level-change', () => {
      this.enabled = logger.isLevelEnabled('info');
    });
  }

  write(record: RequestRecord): void {
    if (this.enabled) this.sink.writeRequest(record);
  }
}
