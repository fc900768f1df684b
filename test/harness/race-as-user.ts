// Two raw requests as another Unix user, each on its own connection, the second sent a set
// delay after the first: for races between a request's judging and dockerd acting on it.
// Runs this file as a child under setpriv; the child prints both answers as JSON.
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { spawnNodeAs } from './users.js';

export interface RaceAnswers {
  first: string;
  second: string;
}

/** Sends `first`, then `second` `delayMs` later, to `socket` as uid/gid: both raw answers. */
export function raceAs(
  socket: string,
  as: { uid: number; gid: number },
  first: Buffer,
  second: Buffer,
  delayMs: number,
  timeoutMs = 15_000,
): Promise<RaceAnswers> {
  return new Promise((resolve, reject) => {
    const plan = JSON.stringify({ first: first.toString('base64'), second: second.toString('base64'), delayMs });
    const child = spawnNodeAs(as, fileURLToPath(import.meta.url), [socket, String(timeoutMs)]);
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(Buffer.concat(out).toString()) as RaceAnswers);
      } catch (err) {
        reject(err);
      }
    });
    child.stdin.end(plan);
  });
}

function exchange(socket: string, request: Buffer, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.createConnection({ path: socket, allowHalfOpen: true });
    const got: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(), timeoutMs);
    s.on('connect', () => s.end(request));
    s.on('data', (d: Buffer) => got.push(d));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(got).toString());
    });
    s.on('error', () => undefined);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [socket, timeout] = process.argv.slice(2);
  const input: Buffer[] = [];
  process.stdin.on('data', (d: Buffer) => input.push(d));
  process.stdin.on('end', async () => {
    const plan = JSON.parse(Buffer.concat(input).toString()) as { first: string; second: string; delayMs: number };
    const a = exchange(socket!, Buffer.from(plan.first, 'base64'), Number(timeout));
    await new Promise((r) => setTimeout(r, plan.delayMs));
    const b = exchange(socket!, Buffer.from(plan.second, 'base64'), Number(timeout));
    const [first, second] = await Promise.all([a, b]);
    process.stdout.write(JSON.stringify({ first, second }));
  });
}
