// The translation is checked against the real docker CLI: each command line is run by `docker`
// against a recording server that answers like dockerd, and the request the CLI sent (method,
// path, query, JSON body) must equal the one dockerRequests builds for the same words.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dockerRequests, hostContext } from '../../../src/docker/argv/index.js';
import { CREATE_CASES, RUN_CASES, writeCorpusFiles } from './corpus.js';
import { type Recorded, type Recorder, startRecorder } from './recorder.js';

let dir: string;
let recorder: Recorder;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dockgate-argv-'));
  writeCorpusFiles(dir);
  recorder = await startRecorder(dir);
});

after(() => {
  recorder.close();
  rmSync(dir, { recursive: true, force: true });
});

const ENV = { HOME: '/home/tester', FROM_ENV: 'yes' };

/** Drops what carries no meaning (empty, zero, false, null) so defaults do not matter; keeps []-vs-null where it does. */
function meaningful(x: unknown, key = ''): unknown {
  if (Array.isArray(x)) {
    if (key === 'MaskedPaths' || key === 'ReadonlyPaths') return x;
    const list = x.map((v) => meaningful(v));
    // The CLI builds Binds and Env through Go maps: their order differs from run to run.
    return key === 'Binds' || key === 'Env' ? list.sort() : list;
  }
  if (x !== null && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) {
      const m = meaningful(v, k);
      const empty =
        m === null ||
        m === undefined ||
        m === '' ||
        m === 0 ||
        m === false ||
        (Array.isArray(m) && m.length === 0 && k !== 'MaskedPaths' && k !== 'ReadonlyPaths') ||
        (typeof m === 'object' && !Array.isArray(m) && Object.keys(m as object).length === 0);
      if (!empty) out[k] = m;
    }
    return out;
  }
  return x;
}

/** Fields the CLI fills that the policy does not read and that depend on the terminal or the API version. */
function comparable(r: Pick<Recorded, 'method' | 'target' | 'body'>): Pick<Recorded, 'method' | 'target' | 'body'> {
  const body = meaningful(r.body) as Record<string, unknown> | undefined;
  if (body && typeof body === 'object') {
    const host = body.HostConfig as Record<string, unknown> | undefined;
    if (host) {
      delete host.ConsoleSize;
      if ((host.RestartPolicy as { Name?: string } | undefined)?.Name === 'no') delete host.RestartPolicy;
      if (host.MemorySwappiness === -1) delete host.MemorySwappiness;
      if (Object.keys(host).length === 0) delete body.HostConfig;
    }
    delete body.NetworkingConfig;
    delete body.ConsoleSize;
  }
  return { method: r.method, target: r.target, body: body ?? null };
}

async function parity(args: string[], pick = (r: Recorded[]) => r[0], env: Record<string, string> = {}) {
  const real = pick(await recorder.run(args, dir, { ...ENV, ...env }));
  assert.ok(real, `the docker CLI sent no request for: docker ${args.join(' ')}`);
  const ctx = hostContext(dir, { ...ENV, ...env, DOCKER_HOST: `unix://${recorder.sock}` });
  const mine = dockerRequests(args, ctx).find(
    (r) => r.method === real.method && r.target.split('?')[0] === real.target.split('?')[0],
  );
  assert.ok(mine, `no translated request ${real.method} ${real.target} for: docker ${args.join(' ')}`);
  assert.deepEqual(
    comparable({ method: mine.method, target: mine.target, body: mine.body }),
    comparable(real),
    `docker ${args.join(' ')}`,
  );
}

for (const args of CREATE_CASES) {
  test(`docker create ${args.join(' ')}: the translated create request equals what the CLI sends`, async () => {
    await parity(['create', ...args]);
  });
}

for (const args of RUN_CASES) {
  test(`docker run ${args.join(' ')}: the translated create request equals what the CLI sends`, async () => {
    await parity(['run', ...args]);
  });
}

test('docker container run and docker container create are translated as run and create', async () => {
  await parity(['container', 'run', '-d', '--cap-add', 'SYS_ADMIN', 'bb']);
  await parity(['container', 'create', '--pid', 'host', 'bb']);
});

test('docker exec: the exec create request equals what the CLI sends', async () => {
  const exec = (r: Recorded[]) => r.find((x) => x.target.endsWith('/exec'));
  await parity(['exec', 'c1', 'ls'], exec);
  await parity(
    ['exec', '--privileged', '-u', '0', '-e', 'A=1', '-e', 'FROM_ENV', '-w', '/tmp', 'c1', 'sh', '-c', 'id'],
    exec,
  );
  await parity(['exec', '-d', 'c1', 'sleep', '1'], exec);
});

test('docker volume create: the request equals what the CLI sends', async () => {
  await parity(['volume', 'create', 'v1']);
  await parity([
    'volume',
    'create',
    '--driver',
    'local',
    '-o',
    'type=none',
    '-o',
    'o=bind',
    '-o',
    'device=/etc',
    '--label',
    'a=b',
    'v2',
  ]);
});

test('docker network create: the request equals what the CLI sends', async () => {
  await parity(['network', 'create', 'n1']);
  await parity(['network', 'create', '-d', 'bridge', '--internal', '-o', 'com.docker.network.bridge.name=br9', 'n2']);
});

test('docker cp to and from a container: the archive requests equal what the CLI sends', async () => {
  writeFileSync(join(dir, 'payload'), 'x');
  await parity(
    ['cp', 'payload', 'c1:/tmp/x'],
    (r) => r.find((x) => x.method === 'PUT') ?? r.find((x) => x.target.includes('/archive')),
  );
  await parity(['cp', 'c1:/etc/passwd', join(dir, 'out')], (r) => r.find((x) => x.target.includes('/archive')));
});

test('simple commands: ps, images, start, stop and rm map to the requests the CLI sends', async () => {
  await parity(['ps']);
  await parity(['images']);
  await parity(['start', 'c1']);
  await parity(['stop', 'c1']);
  await parity(['rm', 'c1']);
});

test('docker build with the classic builder: the build query equals what the CLI sends', async () => {
  writeFileSync(join(dir, 'o.Dockerfile'), 'FROM busybox\n');
  const classic = { DOCKER_BUILDKIT: '0' };
  const first = (r: Recorded[]) => r[0];
  await parity(['build', 'ctx'], first, classic);
  await parity(['build', '-t', 'x:1', '-t', 'y', '--network', 'host', '--build-arg', 'A=1', 'ctx'], first, classic);
  await parity(
    ['build', '-f', 'ctx/Dockerfile', '--label', 'a=b', '--target', 't', '--cgroup-parent', '/x', 'ctx'],
    first,
    classic,
  );
  // A Dockerfile from outside the context is sent under a random name: compared without it.
  const outside = (r: Recorded[]) =>
    r.map((x) => ({
      ...x,
      target: x.target.replace(/dockerfile=\.dockerfile\.[0-9a-f]+/, 'dockerfile=.dockerfile'),
    }))[0];
  await parity(['build', '-f', 'o.Dockerfile', '--pull', '--no-cache', 'ctx'], outside, classic);
});
