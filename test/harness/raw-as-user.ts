// Raw socket conversations as another Unix user: the peer credentials the proxy sees are that
// user's. Runs this file as a child under setpriv; the child sends stdin and prints the reply.
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { spawnNodeAs } from './users.js';

/** Sends `request` to `socket` as uid/gid and resolves to everything the peer answered. */
export function rawExchangeAs(
  socket: string,
  request: Buffer,
  as: { uid: number; gid: number },
  timeoutMs = 10_000,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawnNodeAs(as, fileURLToPath(import.meta.url), [socket, String(timeoutMs)]);
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.on('error', reject);
    child.on('close', () => resolve(Buffer.concat(out)));
    child.stdin.end(request);
  });
}

/**
 * One HTTP request to `socket` as uid/gid (a JSON body, or bytes of `type`), on a connection
 * closed after it: the answer's status and body text.
 */
export async function requestAs(
  socket: string,
  as: { uid: number; gid: number },
  method: string,
  target: string,
  body?: unknown,
  type = 'application/json',
): Promise<{ status: number; text: string }> {
  const payload =
    body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  const head =
    `${method} ${target} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n` +
    (body === undefined ? '' : `Content-Type: ${type}\r\nContent-Length: ${payload.length}\r\n`) +
    '\r\n';
  const raw = (await rawExchangeAs(socket, Buffer.concat([Buffer.from(head), payload]), as)).toString();
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
  return { status, text: raw.slice(raw.indexOf('\r\n\r\n') + 4) };
}

// Child side: stdin → socket, socket → stdout, until the peer closes or the timeout passes.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [socket, timeout] = process.argv.slice(2);
  const input: Buffer[] = [];
  process.stdin.on('data', (d: Buffer) => input.push(d));
  process.stdin.on('end', () => {
    const s = net.createConnection({ path: socket!, allowHalfOpen: true });
    const timer = setTimeout(() => s.destroy(), Number(timeout));
    // Half-close after sending: the peer sees the end of the request stream, as with `curl`.
    s.on('connect', () => s.end(Buffer.concat(input)));
    s.on('data', (d: Buffer) => process.stdout.write(d));
    s.on('close', () => clearTimeout(timer));
    s.on('error', () => clearTimeout(timer));
  });
}
