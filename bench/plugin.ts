// Cost of dockgate plugin per request: a private dockerd without a plugin and one started with
// --authorization-plugin (the built-in pack), side by side in one run: `docker run --rm` wall time
// and GET /containers/json requests per second, as ratios; and µs per AuthZReq decision in process.
// A third dockerd asks a plugin that allows everything at once without reading a call: what
// dockerd's own asking costs (two calls per request), which no plugin can take away.
// Prints figures; it is not a test.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { readAuthzCall } from '../src/enforce/plugin/authz-request.js';
import { LookupSecret, PluginLookups } from '../src/enforce/plugin/lookups.js';
import { PluginDecisionPoint } from '../src/enforce/plugin/plugin-point.js';
import { PolicyEngine } from '../src/policy/index.js';
import { ensureTestImage, startDaemon } from '../test/harness/index.js';
import { startGuardedDaemon, uniquePluginName } from '../test/enforce/plugin/plugin-harness.js';

const RUNS = 8;
const LIST_SECONDS = 2;
/** Rounds of list measurements, each daemon in turn: the machine's load changes between them. */
const LIST_ROUNDS = 3;
const CONCURRENCY = 4;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function runMs(socket: string, image: string): number {
  const t = performance.now();
  const r = spawnSync('docker', ['run', '--rm', image, 'true'], {
    env: { ...process.env, DOCKER_HOST: `unix://${socket}` },
  });
  if (r.status !== 0) throw new Error(`docker run failed: ${r.stderr}`);
  return performance.now() - t;
}

async function listRate(socket: string, seconds: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < until) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ socketPath: socket, path: '/v1.41/containers/json', agent }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        });
        req.on('error', reject);
      });
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  return done / seconds;
}

async function decisionMicros(): Promise<{ create: number; list: number }> {
  const secret = new LookupSecret();
  const point = new PluginDecisionPoint({
    lookups: new PluginLookups(null, secret),
    secret,
    verifier: null,
    requireProxy: false,
    query: 'data.docker.authz.allow',
  });
  point.setEngine(await PolicyEngine.load({}));
  const body = JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'default' } });
  const create = JSON.stringify({
    RequestMethod: 'POST',
    RequestUri: '/v1.41/containers/create',
    RequestHeaders: { 'Content-Type': 'application/json', 'Content-Length': String(body.length) },
    RequestBody: Buffer.from(body).toString('base64'),
  });
  const list = JSON.stringify({ RequestMethod: 'GET', RequestUri: '/v1.41/containers/json', RequestHeaders: {} });
  const time = async (text: string) => {
    for (let i = 0; i < 200; i++) await point.request(readAuthzCall(text));
    const n = 2000;
    const t = performance.now();
    for (let i = 0; i < n; i++) await point.request(readAuthzCall(text));
    return ((performance.now() - t) * 1000) / n;
  };
  return { create: await time(create), list: await time(list) };
}

/**
 * An authorization plugin that allows every call at once, its body unread: the floor. It runs
 * in a process of its own, as dockgate plugin does, not beside this load generator.
 */
const ALLOW_ALL = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const text = req.url === '/Plugin.Activate' ? '{"Implements":["authz"]}' : '{"Allow":true}';
    res.writeHead(200, { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' });
    res.end(text);
  });
});
server.listen(process.argv[1], () => process.stdout.write('listening\\n'));
`;

async function startAllowAllPlugin(name: string): Promise<() => void> {
  const socket = `/run/docker/plugins/${name}.sock`;
  const child = spawn(process.execPath, ['-e', ALLOW_ALL, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the allow-all plugin exited with ${code}`)));
  });
  return () => {
    child.kill('SIGTERM');
    fs.rmSync(socket, { force: true });
  };
}

/** Requests per second on each socket, in turns; the median of the rounds for each. */
async function listRates(sockets: string[]): Promise<number[]> {
  for (const s of sockets) await listRate(s, 0.5);
  const rates: number[][] = sockets.map(() => []);
  for (let round = 0; round < LIST_ROUNDS; round++)
    for (const [i, s] of sockets.entries()) rates[i]!.push(await listRate(s, LIST_SECONDS));
  return rates.map(median);
}

async function main(): Promise<void> {
  const micros = await decisionMicros();
  console.log('plugin: AuthZReq decision in process (built-in pack, µs per call, parsing included)');
  console.log(`  container create   ${micros.create.toFixed(1)} µs`);
  console.log(`  containers list    ${micros.list.toFixed(1)} µs`);
  const plain = await startDaemon();
  const guarded = await startGuardedDaemon(['--decision-log', '/dev/null']);
  const floorName = uniquePluginName();
  const stopFloor = await startAllowAllPlugin(floorName);
  const floor = await startDaemon({ args: [`--authorization-plugin=${floorName}`] });
  try {
    const image = ensureTestImage(plain.socket);
    ensureTestImage(guarded.daemon.socket);
    runMs(plain.socket, image);
    runMs(guarded.daemon.socket, image);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      a.push(runMs(plain.socket, image));
      b.push(runMs(guarded.daemon.socket, image));
    }
    const [ra, rf, rb] = (await listRates([plain.socket, floor.socket, guarded.daemon.socket])) as [
      number,
      number,
      number,
    ];
    console.log('plugin: dockerd without and with dockgate plugin (built-in pack), side by side');
    console.log('case                          without     with        ratio   goal');
    console.log(
      `docker run --rm bb true (p50)  ${median(a).toFixed(0).padStart(6)} ms  ${median(b).toFixed(0).padStart(6)} ms  ${(median(b) / median(a)).toFixed(2)}x   <= 1.15x`,
    );
    console.log(
      `GET /containers/json (req/s)   ${ra.toFixed(0).padStart(9)}  ${rb.toFixed(0).padStart(9)}  ${(rb / ra).toFixed(2)}x   >= 0.80x`,
    );
    console.log(
      `  the same, a plugin that allows at once: ${rf.toFixed(0)} req/s, ${(rf / ra).toFixed(2)}x (dockerd's own cost of asking); dockgate ${(rb / rf).toFixed(2)}x of that`,
    );
  } finally {
    await floor.stop();
    stopFloor();
    await guarded.stop();
    await plain.stop();
  }
}

await main();
