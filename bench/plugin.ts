// Cost of dockgate plugin per request: a private dockerd without a plugin and one started with
// --authorization-plugin (the built-in pack), side by side in one run: `docker run --rm` wall time
// and GET /containers/json requests per second, as ratios; and µs per AuthZReq decision in process.
// A third dockerd asks a plugin that allows everything at once without reading a call: what
// dockerd's own asking costs (two calls per request), which no plugin can take away. The list is
// measured empty and with 100 containers (dockerd buffers each answer and sends it base64-encoded
// in AuthZRes), with the CPU each process spends per request, and the allow-all plugin counts
// the calls and connections dockerd makes. Prints figures; it is not a test.
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

/** CPU time (user + system) a process has spent, in µs (clock ticks of 10 ms). */
function cpuMicros(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** One side of the comparison: its socket, and the processes whose CPU it costs. */
interface Side {
  socket: string;
  dockerd: number;
  plugin?: number;
}

interface Rate {
  perSecond: number;
  /** CPU µs per request: dockerd, the plugin, this load generator. */
  cpu: { dockerd: number; plugin: number; client: number };
}

async function listRate(side: Side, path: string, seconds: number): Promise<Rate> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const until = performance.now() + seconds * 1000;
  const before = {
    dockerd: cpuMicros(side.dockerd),
    plugin: side.plugin ? cpuMicros(side.plugin) : 0,
    client: process.cpuUsage(),
  };
  let done = 0;
  const worker = async () => {
    while (performance.now() < until) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ socketPath: side.socket, path, agent }, (res) => {
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
  const client = process.cpuUsage(before.client);
  return {
    perSecond: done / seconds,
    cpu: {
      dockerd: (cpuMicros(side.dockerd) - before.dockerd) / done,
      plugin: side.plugin ? (cpuMicros(side.plugin) - before.plugin) / done : 0,
      client: (client.user + client.system) / done,
    },
  };
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
 * in a process of its own, as dockgate plugin does, not beside this load generator. It counts
 * what dockerd sends it (GET /stats answers the counts; dockerd never asks that).
 */
const ALLOW_ALL = `
const http = require('node:http');
const stats = { connections: 0, AuthZReq: 0, AuthZRes: 0, resBytes: 0 };
const server = http.createServer((req, res) => {
  if (req.url === '/stats') return res.end(JSON.stringify(stats));
  let bytes = 0;
  req.on('data', (d) => (bytes += d.length));
  req.on('end', () => {
    if (req.url === '/AuthZPlugin.AuthZReq') stats.AuthZReq++;
    if (req.url === '/AuthZPlugin.AuthZRes') (stats.AuthZRes++, (stats.resBytes += bytes));
    const text = req.url === '/Plugin.Activate' ? '{"Implements":["authz"]}' : '{"Allow":true}';
    res.writeHead(200, { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' });
    res.end(text);
  });
});
server.on('connection', () => stats.connections++);
server.listen(process.argv[1], () => process.stdout.write('listening\\n'));
`;

interface FloorStats {
  connections: number;
  AuthZReq: number;
  AuthZRes: number;
  resBytes: number;
}

async function startAllowAllPlugin(name: string): Promise<{ pid: number; stats(): Promise<FloorStats>; stop(): void }> {
  const socket = `/run/docker/plugins/${name}.sock`;
  const child = spawn(process.execPath, ['-e', ALLOW_ALL, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the allow-all plugin exited with ${code}`)));
  });
  return {
    pid: child.pid!,
    stats: () =>
      new Promise((resolve, reject) => {
        http
          .get({ socketPath: socket, path: '/stats' }, (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve(JSON.parse(text) as FloorStats));
          })
          .on('error', reject);
      }),
    stop: () => {
      child.kill('SIGTERM');
      fs.rmSync(socket, { force: true });
    },
  };
}

/**
 * The round trip of one AuthZReq to the allow-all plugin from here, on a kept connection and on
 * a new one each time: what a plugin call costs its caller when nothing else happens.
 */
async function roundTripMicros(socket: string, keepAlive: boolean): Promise<number> {
  const agent = new http.Agent({ keepAlive, maxSockets: 1 });
  const body = JSON.stringify({ RequestMethod: 'GET', RequestUri: '/v1.41/containers/json', RequestHeaders: {} });
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          socketPath: socket,
          path: '/AuthZPlugin.AuthZReq',
          method: 'POST',
          agent,
          headers: { 'Content-Length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  for (let i = 0; i < 200; i++) await once();
  const n = 2000;
  const t = performance.now();
  for (let i = 0; i < n; i++) await once();
  agent.destroy();
  return ((performance.now() - t) * 1000) / n;
}

/** Requests per second on each side, in turns; the round with the median rate for each. */
async function listRates(sides: Side[], path: string): Promise<Rate[]> {
  for (const s of sides) await listRate(s, path, 0.5);
  const rates: Rate[][] = sides.map(() => []);
  for (let round = 0; round < LIST_ROUNDS; round++)
    for (const [i, s] of sides.entries()) rates[i]!.push(await listRate(s, path, LIST_SECONDS));
  return rates.map((r) => [...r].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(r.length / 2)]!);
}

/** `count` stopped containers on the daemon at `socket` (listed with all=1). */
async function createContainers(socket: string, image: string, count: number): Promise<void> {
  const body = JSON.stringify({ Image: image, Cmd: ['true'], Labels: { bench: 'plugin' } });
  for (let i = 0; i < count; i++)
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          socketPath: socket,
          path: '/v1.41/containers/create',
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`create: ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

async function main(): Promise<void> {
  const micros = await decisionMicros();
  console.log('plugin: AuthZReq decision in process (built-in pack, µs per call, parsing included)');
  console.log(`  container create   ${micros.create.toFixed(1)} µs`);
  console.log(`  containers list    ${micros.list.toFixed(1)} µs`);
  const plain = await startDaemon();
  const guarded = await startGuardedDaemon(['--decision-log', '/dev/null']);
  const floorName = uniquePluginName();
  const floorPlugin = { ...(await startAllowAllPlugin(floorName)), socket: `/run/docker/plugins/${floorName}.sock` };
  const floor = await startDaemon({ args: [`--authorization-plugin=${floorName}`] });
  try {
    const image = ensureTestImage(plain.socket);
    ensureTestImage(guarded.daemon.socket);
    ensureTestImage(floor.socket);
    runMs(plain.socket, image);
    runMs(guarded.daemon.socket, image);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      a.push(runMs(plain.socket, image));
      b.push(runMs(guarded.daemon.socket, image));
    }
    console.log('plugin: dockerd without and with dockgate plugin (built-in pack), side by side');
    console.log('case                          without     with        ratio   goal');
    console.log(
      `docker run --rm bb true (p50)  ${median(a).toFixed(0).padStart(6)} ms  ${median(b).toFixed(0).padStart(6)} ms  ${(median(b) / median(a)).toFixed(2)}x   <= 1.15x`,
    );
    const sides: Side[] = [
      { socket: plain.socket, dockerd: plain.pid },
      { socket: floor.socket, dockerd: floor.pid, plugin: floorPlugin.pid },
      { socket: guarded.daemon.socket, dockerd: guarded.daemon.pid, plugin: guarded.plugin.pid },
    ];
    const lists: [string, string, number][] = [
      ['GET /containers/json, 0 listed', '/v1.41/containers/json', 0],
      ['GET /containers/json?all=1, 100 listed', '/v1.41/containers/json?all=1', 100],
    ];
    const floorCounts: { calls: number; connections: number; resBytes: number; requests: number }[] = [];
    for (const [label, path, listed] of lists) {
      if (listed > 0) for (const side of sides) await createContainers(side.socket, image, listed);
      const before = await floorPlugin.stats();
      const [ra, rf, rb] = (await listRates(sides, path)) as [Rate, Rate, Rate];
      const after = await floorPlugin.stats();
      // Requests the floor's daemon answered while counted: warm-up and rounds.
      const requests = after.AuthZReq - before.AuthZReq;
      floorCounts.push({
        calls: after.AuthZReq + after.AuthZRes - before.AuthZReq - before.AuthZRes,
        connections: after.connections - before.connections,
        resBytes: after.resBytes - before.resBytes,
        requests,
      });
      console.log(`${label} (req/s, ratio to no plugin; CPU µs per request: dockerd + plugin + client)`);
      const row = (name: string, r: Rate, goal = '') =>
        console.log(
          `  ${name.padEnd(22)} ${r.perSecond.toFixed(0).padStart(6)}  ${(r.perSecond / ra.perSecond).toFixed(2)}x  ${r.cpu.dockerd.toFixed(0).padStart(5)} + ${r.cpu.plugin.toFixed(0).padStart(4)} + ${r.cpu.client.toFixed(0).padStart(3)}${goal}`,
        );
      row('no plugin', ra);
      row('allow-all plugin', rf);
      row('dockgate plugin', rb, listed === 0 ? '   goal >= 0.80x' : '');
      console.log(`  dockgate / allow-all   ${(rb.perSecond / rf.perSecond).toFixed(2)}x`);
    }
    for (const [i, c] of floorCounts.entries())
      console.log(
        `allow-all plugin, ${lists[i]![2]} listed: ${(c.calls / c.requests).toFixed(2)} calls per request, ${((100 * c.connections) / c.calls).toFixed(1)} new connections per 100 calls, ${(c.resBytes / c.requests / 1024).toFixed(1)} KiB per AuthZRes`,
      );
    console.log(
      `one AuthZReq round trip to the allow-all plugin from node: ${(await roundTripMicros(floorPlugin.socket, true)).toFixed(0)} µs on a kept connection, ${(await roundTripMicros(floorPlugin.socket, false)).toFixed(0)} µs on a new one`,
    );
  } finally {
    await floor.stop();
    floorPlugin.stop();
    await guarded.stop();
    await plain.stop();
  }
}

await main();
