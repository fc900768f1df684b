// Raw socket conversations, for what no well-behaved client would send.
import net from 'node:net';

/** Connects to a Unix socket; resolves once connected. */
export function rawConnect(socket: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ path: socket, allowHalfOpen: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

export interface RawReply {
  /** Everything received. */
  data: Buffer;
  /** The peer closed (or reset) the connection before the deadline. */
  closed: boolean;
}

/**
 * Sends `bytes` (pieces are written one by one, `gapMs` apart) and collects the answer
 * until the peer closes, `until` says the answer is complete, or `timeoutMs` passes.
 */
export async function rawExchange(
  socket: string,
  bytes: Buffer | string | Array<Buffer | string>,
  options: { timeoutMs?: number; gapMs?: number; until?: (data: Buffer) => boolean; endAfterWrite?: boolean } = {},
): Promise<RawReply> {
  const s = await rawConnect(socket);
  const chunks: Buffer[] = [];
  let total = Buffer.alloc(0);
  return new Promise((resolve) => {
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 10_000);
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      if (options.until) {
        total = Buffer.concat(chunks);
        if (options.until(total)) finish(false);
      }
    });
    s.on('end', () => finish(true));
    s.on('error', () => finish(true));
    s.on('close', () => finish(true));
    const pieces = Array.isArray(bytes) ? bytes : [bytes];
    (async () => {
      for (let i = 0; i < pieces.length; i++) {
        if (done) return;
        if (i > 0 && options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
        s.write(pieces[i]!);
      }
      if (options.endAfterWrite) s.end();
    })().catch(() => finish(true));
  });
}

/** Splits a byte stream into HTTP responses with Content-Length bodies (enough for test assertions). */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function splitResponses(data: Buffer): RawResponse[] {
  const out: RawResponse[] = [];
  let i = 0;
  while (i < data.length) {
    const end = data.indexOf('\r\n\r\n', i);
    if (end < 0) break;
    const lines = data.subarray(i, end).toString('latin1').split('\r\n');
    const status = Number(lines[0]!.slice(9, 12));
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
    }
    let bodyStart = end + 4;
    let body = '';
    if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      body = data.subarray(bodyStart, bodyStart + n).toString();
      bodyStart += n;
    } else if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const le = data.indexOf('\r\n', bodyStart);
        if (le < 0) break;
        const size = parseInt(data.subarray(bodyStart, le).toString(), 16);
        bodyStart = le + 2;
        if (size === 0) {
          bodyStart += 2;
          break;
        }
        body += data.subarray(bodyStart, bodyStart + size).toString();
        bodyStart += size + 2;
      }
    }
    out.push({ status, headers, body });
    i = bodyStart;
  }
  return out;
}
