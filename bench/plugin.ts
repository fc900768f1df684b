// Cost of dockgate plugin per request: a private dockerd without a plugin and one started with
// --authorization-plugin (the built-in pack), side by side in one run: `docker run --rm` wall time
// and GET /containers/json requests per second, as ratios; and µs per AuthZReq decision in process.
// Prints figures; it is not a test.
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { readAuthzCall } from '../src/enforce/plugin/authz-request.js';
import { LookupSecret, PluginLookups } from '../src/enforce/plugin/lookups.js';
import { PluginDecisionPoint } from '../src/enforce/plugin/plugin-point.js';
import { PolicyEngine } from '../src/policy/index.js';
import { ensureTestImage, startDaemon } from '../test/harness/index.js';
import { startGuardedDaemon } from '../test/enforce/plugin/plugin-harness.js';

const RUNS = 8;
const LIST_SECONDS = 3;
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

async function listRate(socket: string): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const until = performance.now() + LIST_SECONDS * 1000;
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
  return done / LIST_SECONDS;
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

async function main(): Promise<void> {
  const micros = await decisionMicros();
  console.log('plugin: AuthZReq decision in process (built-in pack, µs per call, parsing included)');
  console.log(`  container create   ${micros.create.toFixed(1)} µs`);
  console.log(`  containers list    ${micros.list.toFixed(1)} µs`);
  const plain = await startDaemon();
  const guarded = await startGuardedDaemon(['--decision-log', '/dev/null']);
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
    const ra = await listRate(plain.socket);
    const rb = await listRate(guarded.daemon.socket);
    console.log('plugin: dockerd without and with dockgate plugin (built-in pack), side by side');
    console.log('case                          without     with        ratio   goal');
    console.log(
      `docker run --rm bb true (p50)  ${median(a).toFixed(0).padStart(6)} ms  ${median(b).toFixed(0).padStart(6)} ms  ${(median(b) / median(a)).toFixed(2)}x   <= 1.15x`,
    );
    console.log(
      `GET /containers/json (req/s)   ${ra.toFixed(0).padStart(9)}  ${rb.toFixed(0).padStart(9)}  ${(rb / ra).toFixed(2)}x   >= 0.80x`,
    );
  } finally {
    await guarded.stop();
    await plain.stop();
  }
}

await main();
