// What tenancy costs (prints figures; not a test). One daemon holds 1,000 containers of 10
// users. Side by side in one run, interleaved: GET /containers/json?all=1 straight to the
// daemon, through dockgate as an admin (everything listed), and through dockgate as one of the
// users, a real Unix user (the proxy merges an owner filter: 100 containers listed). Then the
// ownership check on exec: a counting relay between dockgate and the daemon shows how many
// look-ups dockgate makes for each step of an exec, the first time and once its facts are known.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createUser,
  ensureTestImage,
  startDaemon,
  startServe,
  type Daemon,
  type Served,
  type TestUser,
} from '../test/harness/index.js';
import { spawnNodeAs } from '../test/harness/users.js';
import { runLoad, type LoadResult } from './load.js';

const CONTAINERS = 1000;
const USERS = 10;
const ROUNDS = 3;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = 4;
const LIST = '/v1.41/containers/json?all=1';

function call(socket: string, method: string, p: string, body?: unknown): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: socket,
        method,
        path: p,
        agent: false,
        headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** runLoad as another Unix user: this file, run as a child under setpriv, prints the result. */
function loadAs(user: TestUser, socket: string, durationMs: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawnNodeAs(user, fileURLToPath(import.meta.url), ['load', socket, String(durationMs)]);
    child.stdin.end();
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load child exit ${code}`)),
    );
  });
}

/** A relay between dockgate and the daemon that counts the requests it passes on. */
function countingRelay(listen: string, daemonSocket: string): { server: http.Server; count: () => number } {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const up = http.request(
      { socketPath: daemonSocket, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.listen(listen);
  return { server, count: () => requests };
}

async function main(): Promise<void> {
  let daemon: Daemon | undefined;
  let user: TestUser | undefined;
  const served: Served[] = [];
  let relay: http.Server | undefined;
  const dir = fs.mkdtempSync('/tmp/dgbt-');
  fs.chmodSync(dir, 0o755);
  try {
    daemon = await startDaemon();
    const image = ensureTestImage(daemon.socket);
    user = createUser();
    const owners = [user.name, ...Array.from({ length: USERS - 1 }, (_, i) => `bench-user-${i + 1}`)];
    for (let i = 0; i < CONTAINERS; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, CONTAINERS - i) }, (_, k) =>
          call(daemon!.socket, 'POST', '/v1.41/containers/create', {
            Image: image,
            Cmd: ['true'],
            Labels: { 'dockgate.owner': owners[(i + k) % USERS]! },
          }),
        ),
      );
    }
    const proxy = await startServe({ upstream: daemon.socket, args: ['--socket-mode', '0666'] });
    served.push(proxy);

    console.log(
      `\ntenancy: GET ${LIST} with ${CONTAINERS} containers of ${USERS} users, c=${CONCURRENCY}, ${ROUNDS}×${SECONDS}s interleaved`,
    );
    const totals = { direct: 0, admin: 0, user: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      totals.direct += (await runLoad(daemon.socket, LIST, CONCURRENCY, SECONDS * 1000, 300)).rps;
      totals.admin += (await runLoad(proxy.socket, LIST, CONCURRENCY, SECONDS * 1000, 300)).rps;
      totals.user += (await loadAs(user, proxy.socket, SECONDS * 1000)).rps;
    }
    const rps = (n: number) => (n / ROUNDS).toFixed(0);
    console.log(`  direct to the daemon (1,000 listed):   ${rps(totals.direct)} req/s`);
    console.log(
      `  dockgate as an admin (1,000 listed):   ${rps(totals.admin)} req/s  ${(totals.admin / totals.direct).toFixed(2)}× direct`,
    );
    console.log(
      `  dockgate as a user (100 listed):       ${rps(totals.user)} req/s  ${(totals.user / totals.direct).toFixed(2)}× direct`,
    );

    // Exec ownership: dockgate behind a counting relay, the user's own running container.
    const relaySocket = path.join(dir, 'relay.sock');
    const counting = countingRelay(relaySocket, daemon.socket);
    relay = counting.server;
    const counted = await startServe({
      upstream: relaySocket,
      args: ['--socket-mode', '0666'],
      dir,
      socketName: 'c.sock',
    });
    served.push(counted);
    const created = await call(daemon.socket, 'POST', '/v1.41/containers/create?name=bench-exec', {
      Image: image,
      Cmd: ['sleep', '600'],
      Labels: { 'dockgate.owner': user.name },
    });
    const id = (JSON.parse(created.text) as { Id: string }).Id;
    await call(daemon.socket, 'POST', `/v1.41/containers/${id}/start`);
    console.log("  exec ownership check: look-ups dockgate made at the daemon for each request of a user's exec");
    for (const line of await execSteps(user, counted.socket, counting.count)) console.log(`    ${line}`);
  } finally {
    for (const s of served) await s.stop();
    relay?.close();
    user?.remove();
    await daemon?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The requests of a detached `docker exec`, twice, as the user (its peer credentials). */
const EXEC_STEPS: [method: string, target: (execId: string) => string, body?: unknown][] = [
  ['POST', () => '/v1.41/containers/bench-exec/exec', { Cmd: ['true'] }],
  ['POST', (e) => `/v1.41/exec/${e}/start`, { Detach: true }],
  ['GET', (e) => `/v1.41/exec/${e}/json`],
  ['POST', () => '/v1.41/containers/bench-exec/exec', { Cmd: ['true'] }],
  ['POST', (e) => `/v1.41/exec/${e}/start`, { Detach: true }],
  ['GET', (e) => `/v1.41/exec/${e}/json`],
];

/**
 * Runs EXEC_STEPS in a child as `user`, one step per line the parent writes, and reads the
 * relay's count around each: what passed beyond the request itself are dockgate's look-ups.
 */
async function execSteps(user: TestUser, socket: string, count: () => number): Promise<string[]> {
  const child = spawnNodeAs(user, fileURLToPath(import.meta.url), ['exec-steps', socket]);
  const lines: string[] = [];
  let buffered = '';
  const waiting: ((line: string) => void)[] = [];
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      waiting.shift()?.(line);
    }
  });
  const next = () =>
    new Promise<string>((resolve) => {
      waiting.push(resolve);
      child.stdin.write('go\n');
    });
  for (const [method, target] of EXEC_STEPS) {
    const before = count();
    const status = await next();
    lines.push(`${method} ${target('{id}')}: ${count() - before - 1} look-up(s) (answered ${status})`);
  }
  child.stdin.end();
  return lines;
}

if (process.argv[2] === 'exec-steps') {
  // Child side: one step per "go" line from the parent; prints each answer's status.
  const socket = process.argv[3]!;
  let execId = '';
  let step = 0;
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', async (chunk: string) => {
    for (let i = 0; i < chunk.split('\n').length - 1; i++) {
      const [method, target, body] = EXEC_STEPS[step++]!;
      const r = await call(socket, method, target(execId), body);
      if (method === 'POST' && target('').endsWith('/exec')) execId = (JSON.parse(r.text) as { Id: string }).Id;
      process.stdout.write(`${r.status}\n`);
    }
  });
} else if (process.argv[2] === 'load') {
  const [socket, duration] = process.argv.slice(3);
  runLoad(socket!, LIST, CONCURRENCY, Number(duration), 300).then((r) => {
    process.stdout.write(JSON.stringify(r));
  });
} else {
  await main();
}
