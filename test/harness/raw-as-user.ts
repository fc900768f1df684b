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
