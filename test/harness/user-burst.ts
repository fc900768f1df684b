// Several raw requests sent as another Unix user, each on its own connection, at given offsets
// (ms) from one start: for races between requests that a client can always send at once.
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { spawnNodeAs } from './users.js';

export interface Timed {
  /** Milliseconds after the burst starts. */
  at: number;
  request: string;
}

/** Sends every request as uid/gid and resolves to each answer's bytes (latin1), in order. */
export function burstAs(
  socket: string,
  requests: Timed[],
  as: { uid: number; gid: number },
  timeoutMs = 20_000,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawnNodeAs(as, fileURLToPath(import.meta.url), [socket, String(timeoutMs)]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out) as string[]);
      } catch {
        reject(new Error(`burst: no answer (${out.slice(0, 200)})`));
      }
    });
    child.stdin.end(JSON.stringify(requests));
  });
}

// Child side: connect everything first, then write each request at its offset.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [socket, timeout] = process.argv.slice(2);
  let input = '';
  process.stdin.on('data', (d: Buffer) => (input += d.toString()));
  process.stdin.on('end', async () => {
    const requests = JSON.parse(input) as Timed[];
    const sockets = await Promise.all(
      requests.map(
        () =>
          new Promise<net.Socket>((res, rej) => {
            const s = net.createConnection({ path: socket!, allowHalfOpen: true });
            s.once('connect', () => res(s));
            s.once('error', rej);
          }),
      ),
    );
    const answers = await Promise.all(
      requests.map(
        (r, i) =>
          new Promise<string>((res) => {
            const s = sockets[i]!;
            let got = '';
            const timer = setTimeout(() => s.destroy(), Number(timeout));
            s.on('data', (d: Buffer) => (got += d.toString('latin1')));
            s.on('close', () => {
              clearTimeout(timer);
              res(got);
            });
            s.on('error', () => {});
            setTimeout(() => s.end(Buffer.from(r.request, 'latin1')), r.at);
          }),
      ),
    );
    process.stdout.write(JSON.stringify(answers));
  });
}
