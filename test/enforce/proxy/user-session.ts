// Many requests on a Unix socket as another Unix user, from one child process started under
// setpriv (so the proxy's SO_PEERCRED sees that user), instead of one process per request: a
// generative test sends thousands of requests. The parent writes one JSON request per line on
// the child's stdin; the child sends each on a keep-alive connection and writes the answer as
// one JSON line on its stdout.
import http from 'node:http';
import readline from 'node:readline';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { spawnNodeAs } from '../../harness/users.js';

export interface SessionRequest {
  method: string;
  /** Path and query. */
  path: string;
  /** A JSON body, sent as it is (any text: hostile bodies included). */
  body?: string;
}

export interface SessionAnswer {
  status: number;
  /** The answer's body as text, cut at 64 KiB. */
  body: string;
}

const MAX_ANSWER_TEXT = 64 * 1024;

export class UserSession {
  private readonly pending = new Map<number, (a: SessionAnswer) => void>();
  private next = 0;

  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const { id, status, body } = JSON.parse(line) as { id: number } & SessionAnswer;
      this.pending.get(id)?.({ status, body });
      this.pending.delete(id);
    });
    child.on('exit', () => {
      for (const resolve of this.pending.values()) resolve({ status: 0, body: 'the session process exited' });
      this.pending.clear();
    });
  }

  /** Starts the child as uid:gid (with that user's groups) talking to `socket`. */
  static start(socket: string, as: { uid: number; gid: number }, timeoutMs = 60_000): UserSession {
    const child = spawnNodeAs(as, fileURLToPath(import.meta.url), [socket, String(timeoutMs)]);
    return new UserSession(child);
  }

  /** Sends one request; status 0 when it got no answer (connection error, time-out). */
  request(req: SessionRequest): Promise<SessionAnswer> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ id, ...req })}\n`);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.stdin.end();
    });
  }
}

// Child side: one request at a time, in order, on a keep-alive agent.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [socketPath, timeout] = process.argv.slice(2);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const lines = readline.createInterface({ input: process.stdin });
  let chain = Promise.resolve();
  lines.on('line', (line) => {
    const req = JSON.parse(line) as SessionRequest & { id: number };
    chain = chain.then(() =>
      send(req).then((answer) => void process.stdout.write(`${JSON.stringify({ id: req.id, ...answer })}\n`)),
    );
  });
  lines.on('close', () => void chain.then(() => agent.destroy()));

  function send(req: SessionRequest): Promise<SessionAnswer> {
    return new Promise((resolve) => {
      const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
      const r = http.request(
        {
          socketPath,
          agent,
          method: req.method,
          path: req.path,
          timeout: Number(timeout),
          headers: {
            Host: 'docker',
            ...(body ? { 'Content-Type': 'application/json', 'Content-Length': String(body.length) } : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            if (text.length < MAX_ANSWER_TEXT) text += d.slice(0, MAX_ANSWER_TEXT - text.length);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', (err) => resolve({ status: 0, body: err.message }));
        },
      );
      r.on('timeout', () => r.destroy(new Error('timed out')));
      r.on('error', (err) => resolve({ status: 0, body: err.message }));
      r.end(body);
    });
  }
}
