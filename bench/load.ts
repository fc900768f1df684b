// A small closed-loop HTTP/1.1 load generator over Unix sockets: N keep-alive
// connections, each sending one request and waiting for the full answer before the next.
import net from 'node:net';
import { ChunkedBody, LengthBody, type BodyTracker } from '../src/enforce/proxy/body-framing.js';
import { findHeadEnd, parseResponseHead } from '../src/enforce/proxy/http-head.js';

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  /** How much each of `sample`'s figures (if given) grew over the measured window: e.g. CPU times. */
  sampleDelta: number[];
}

/**
 * Runs `concurrency` connections against `socket` for `durationMs` (after `warmupMs`).
 * `sample`, read as the measured window opens and closes, gives `sampleDelta` (figure by figure).
 */
export async function runLoad(
  socket: string,
  path: string,
  concurrency: number,
  durationMs: number,
  warmupMs: number,
  sample: () => number[] = () => [],
): Promise<LoadResult> {
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: dockgate-bench\r\n\r\n`);
  const latencies: number[] = [];
  let errors = 0;
  let measuring = false;
  let stopping = false;
  let measureStart = 0;

  const worker = () =>
    new Promise<void>((resolve) => {
      const s = net.createConnection(socket);
      let buf: Buffer | null = null;
      let body: BodyTracker | null = null;
      let sentAt = 0;
      const send = () => {
        if (stopping) {
          s.destroy();
          resolve();
          return;
        }
        sentAt = performance.now();
        s.write(request);
      };
      const done = () => {
        if (measuring) latencies.push(performance.now() - sentAt);
        buf = null;
        body = null;
        send();
      };
      s.on('connect', send);
      s.on('error', () => {
        errors++;
        resolve();
      });
      s.on('close', () => resolve());
      s.on('data', (chunk: Buffer) => {
        buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
        if (body === null) {
          const end = findHeadEnd(buf, 0);
          if (end < 0) return;
          const head = parseResponseHead(buf, end);
          if (head.status !== 200) errors++;
          body = head.chunked ? new ChunkedBody() : new LengthBody(Math.max(0, head.contentLength));
          buf = buf.subarray(end);
        }
        body.consume(buf, 0);
        buf = null;
        if (body.done) done();
      });
    });

  const workers = Array.from({ length: concurrency }, worker);
  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  const sampleStart = sample();
  measureStart = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  measuring = false;
  const sampleDelta = sample().map((v, i) => v - sampleStart[i]!);
  const seconds = (performance.now() - measureStart) / 1000;
  stopping = true;
  await Promise.all(workers);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] : NaN;
  return {
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50ms: pct(0.5)!,
    p99ms: pct(0.99)!,
    errors,
    sampleDelta,
  };
}

/** Opens `count` connections, sends one request on each, and leaves them open and idle. */
export async function openIdle(socket: string, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  const batch = 100;
  for (let i = 0; i < count; i += batch) {
    await Promise.all(
      Array.from(
        { length: Math.min(batch, count - i) },
        () =>
          new Promise<void>((resolve, reject) => {
            const s = net.createConnection(socket);
            s.on('error', reject);
            s.on('connect', () => s.write('GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n'));
            s.once('data', () => {
              sockets.push(s);
              resolve();
            });
          }),
      ),
    );
  }
  return sockets;
}
