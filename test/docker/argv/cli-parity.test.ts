// The translation is checked against the real docker CLI: each command line is run by `docker`
// against a recording server that answers like dockerd, and the request the CLI sent (method,
// path, query, JSON body) must equal the one dockerRequests builds for the same words.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dockerRequests, hostContext } from '../../../src/docker/argv/index.js';

interface Recorded {
  method: string;
  target: string;
  body: unknown;
}

let dir: string;
let sock: string;
let server: Server;
let recorded: Recorded[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dockgate-argv-'));
  sock = join(dir, 'd.sock');
  mkdirSync(join(dir, 'ctx'));
  writeFileSync(join(dir, 'ctx', 'Dockerfile'), 'FROM busybox\nRUN true\n');
  writeFileSync(join(dir, 'env.list'), '# comment\nA=1\nB=two words\n');
  writeFileSync(join(dir, 'labels.list'), 'team=blue\nowner\n');
  writeFileSync(join(dir, 'seccomp.json'), '{ "defaultAction": "SCMP_ACT_ALLOW",\n "syscalls": [] }\n');
  server = createServer((req, res) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      data += d;
    });
    req.on('end', () => {
      res.setHeader('Api-Version', '1.50');
      res.setHeader('Ostype', 'linux');
      res.setHeader('Content-Type', 'application/json');
      const target = (req.url ?? '').replace(/^\/v[0-9.]+/, '');
      if (target === '/_ping') {
        res.end('OK');
        return;
      }
      const type = req.headers['content-type'] ?? '';
      recorded.push({
        method: req.method ?? '',
        target,
        body: data && type.includes('json') ? JSON.parse(data) : null,
      });
      if (target.startsWith('/containers/create')) {
        res.statusCode = 201;
        res.end('{"Id":"0123456789ab","Warnings":[]}');
      } else if (/^\/containers\/[^/]+\/json$/.test(target)) {
        res.end('{"Id":"0123456789ab","State":{"Running":true,"Status":"running"},"Config":{"Image":"bb"}}');
      } else if (/^\/containers\/[^/]+\/exec$/.test(target)) {
        res.statusCode = 201;
        res.end('{"Id":"e1"}');
      } else if (target.startsWith('/volumes/create')) {
        res.statusCode = 201;
        res.end('{"Name":"v"}');
      } else if (target.startsWith('/networks/create')) {
        res.statusCode = 201;
        res.end('{"Id":"n"}');
      } else {
        res.statusCode = 500;
        res.end('{"message":"recorded"}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
});

after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const ENV = { HOME: '/home/tester', FROM_ENV: 'yes' };

function runDocker(args: string[]): Promise<void> {
  return new Promise((resolve) => {
    execFile(
      'docker',
      args,
      {
        cwd: dir,
        env: { PATH: process.env.PATH, DOCKER_HOST: `unix://${sock}`, ...ENV, DOCKER_CONFIG: dir },
        timeout: 20_000,
      },
      () => resolve(),
    );
  });
}

/** Drops what carries no meaning (empty, zero, false, null) so defaults do not matter; keeps []-vs-null where it does. */
function meaningful(x: unknown, key = ''): unknown {
  if (Array.isArray(x)) {
    if (key === 'MaskedPaths' || key === 'ReadonlyPaths') return x;
    const list = x.map((v) => meaningful(v));
    return key === 'Binds' ? list.sort() : list;
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
function comparable(r: Recorded): Recorded {
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

async function parity(args: string[], pick = (r: Recorded[]) => r[0]) {
  recorded = [];
  await runDocker(args);
  const real = pick(recorded);
  assert.ok(real, `the docker CLI sent no request for: docker ${args.join(' ')}`);
  const ctx = hostContext(dir, { ...ENV, DOCKER_HOST: `unix://${sock}` });
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

const CREATE_CASES: string[][] = [
  ['bb'],
  ['--privileged', 'bb'],
  ['--privileged=true', 'bb'],
  ['--privileged=false', 'bb'],
  ['-v', '/:/h', 'bb'],
  ['-v=/:/h', 'bb'],
  ['--volume', '/:/h:ro', 'bb'],
  ['--volume=/etc:/e', '-v', './rel:/r:ro', '-v', '../up:/u', '-v', '.:/dot', 'bb'],
  ['-v', 'named:/data', '-v', '/anon', 'bb'],
  ['-itv', '/:/h', 'bb', 'sh'],
  ['--mount', 'type=bind,src=/,dst=/h', 'bb'],
  ['--mount', 'type=bind,source=rel,target=/r,readonly', 'bb'],
  [
    '--mount',
    'type=volume,src=v,dst=/v,volume-driver=local,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc',
    'bb',
  ],
  ['--mount', 'type=tmpfs,dst=/t,tmpfs-size=64m', 'bb'],
  ['--mount', '"type=bind","src=/srv","dst=/s"', 'bb'],
  ['--cap-add', 'SYS_ADMIN', '--cap-add=net_admin', '--cap-drop', 'ALL', 'bb'],
  ['--cap-add', 'ALL', 'bb'],
  ['--cap-add', 'cap_sys_ptrace', '--cap-drop', 'SYS_PTRACE', 'bb'],
  ['--device', '/dev/mem', 'bb'],
  ['--device', '/dev/sda:/dev/xvda:r', '--device=/dev/kmsg:rw', 'bb'],
  ['--security-opt', 'seccomp=unconfined', 'bb'],
  [
    '--security-opt',
    'apparmor=unconfined',
    '--security-opt',
    'label=disable',
    '--security-opt',
    'no-new-privileges',
    'bb',
  ],
  ['--security-opt', 'systempaths=unconfined', 'bb'],
  ['--security-opt', 'seccomp=seccomp.json', 'bb'],
  ['--security-opt', 'apparmor:unconfined', 'bb'],
  ['--pid=host', 'bb'],
  ['--pid', 'container:other', 'bb'],
  ['--ipc=host', '--uts=host', '--userns=host', '--cgroupns=host', 'bb'],
  ['--network', 'host', 'bb'],
  ['--net=host', 'bb'],
  ['--network', 'none', 'bb'],
  ['--network', 'container:x', 'bb'],
  ['--gpus', 'all', 'bb'],
  ['--gpus', '2', 'bb'],
  ['--gpus', '"device=0,1"', 'bb'],
  ['--cgroup-parent', '/system.slice', 'bb'],
  ['--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.msgmax=65536', 'bb'],
  ['--volumes-from', 'other', '--volumes-from', 'third:ro', 'bb'],
  ['-l', 'a=b', '--label', 'c', '--label-file', 'labels.list', 'bb'],
  ['-e', 'X=1', '-e', 'FROM_ENV', '-e', 'UNSET_VAR', '--env-file', 'env.list', 'bb'],
  ['-m', '512m', '--memory-swap', '1g', '--memory-reservation', '256m', '--cpus', '1.5', '--pids-limit', '100', 'bb'],
  ['--cpu-shares', '512', '--cpuset-cpus', '0-1', '--shm-size', '1g', '--oom-score-adj', '100', 'bb'],
  ['--user', '0', 'bb'],
  ['-u', 'root:root', '--group-add', 'docker', '--group-add', '0', 'bb'],
  ['--read-only', '--tmpfs', '/run', '--tmpfs', '/tmp:rw,size=64m', 'bb'],
  ['--rm', '--init', 'bb'],
  ['--restart', 'on-failure:3', 'bb'],
  ['--runtime', 'runc', '--isolation', 'default', 'bb'],
  ['--ulimit', 'nofile=1024:2048', '--ulimit', 'nproc=100', 'bb'],
  ['--device-cgroup-rule', 'c 1:1 rwm', 'bb'],
  ['--name', 'web', '--hostname', 'h', '-w', '/work', '--entrypoint', 'sh', 'bb', '-c', 'echo hi'],
  ['--platform', 'linux/amd64', 'bb'],
  ['-p', '8080:80', '-p', '127.0.0.1:9090:90/udp', '--expose', '70', 'bb'],
  ['--add-host', 'db:10.0.0.1', '--dns', '1.1.1.1', '--dns-search', 'x', 'bb'],
  ['--log-driver', 'json-file', '--log-opt', 'max-size=1m', 'bb'],
  ['--storage-opt', 'size=10G', 'bb'],
  ['-t', '-i', 'bb'],
  ['-a', 'stdout', 'bb'],
  ['--oom-kill-disable', 'bb'],
  ['bb', '--privileged'],
  ['--', 'bb', 'sh'],
];

for (const args of CREATE_CASES) {
  test(`docker create ${args.join(' ')}: the translated create request equals what the CLI sends`, async () => {
    await parity(['create', ...args]);
  });
}

const RUN_CASES: string[][] = [
  ['--rm', 'bb', 'echo', 'hi'],
  ['-d', '--privileged', 'bb'],
  ['-dit', '-v', '/:/h', 'bb'],
  ['--detach=true', '--use-api-socket', 'bb'],
];
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
