// `npm run bench` (proxy part): the daemon socket directly, through dockgate, through HAProxy 2.6
// as a byte relay and as an HTTP proxy that logs (the peers), and through a bare Node relay, side
// by side in one run. Prints figures; not a test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, ensureTestImage, startServe, stopPid, type Daemon, type Served } from '../test/harness/index.js';
import { openIdle, runLoad, type LoadResult } from './load.js';

/** Seconds of load per load point and target, in ROUNDS turns of a second each by default. */
const REQUEST_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Five: a median of five turns stays clear of two turns hit by the VM's bursts of noise (of three, one). */
const ROUNDS = 5;
const WARM_UP_SECONDS = 3;
const STREAM_MB = 200;
/** The goal for requests/s through a proxy, as a share of direct. */
const GOAL_RATE = 0.85;
const CPUS = os.cpus().length;
/**
 * BENCH_BEFORE=DIR: a second dockgate, from another built checkout (its own bin/ and dist/), runs
 * beside this one as `before`: a change measured against what it replaces in the same run.
 */
const BEFORE = process.env.BENCH_BEFORE;
/** BENCH_REQUESTS_ONLY=1: the request load points and the memory figures, not the streams. */
const REQUESTS_ONLY = process.env.BENCH_REQUESTS_ONLY === '1';

interface Target {
  name: string;
  socket: string;
  pid: number | null;
  /** False: left out of the stream measures (it cannot carry them; they print as '-'). */
  streams?: boolean;
}

/** Clock ticks per second of /proc/PID/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** User and system CPU of a process so far, in clock ticks; none for the daemon socket itself (no proxy). */
function processTicks(pid: number | null): [user: number, system: number] {
  if (pid === null) return [0, 0];
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return [Number(fields[11]), Number(fields[12])];
}

/**
 * Busy CPU of the whole machine so far (all CPUs, every process: load generator, daemon,
 * proxy), in clock ticks: /proc/stat's first line but for idle and iowait.
 */
function machineBusyTicks(): number {
  const [, user, nice, system, , , irq, softirq, steal] = fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n', 1)[0]!
    .trim()
    .split(/\s+/)
    .map(Number);
  return user! + nice! + system! + irq! + softirq! + steal!;
}

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]);
  return kb / 1024;
}

/**
 * HAProxy as a peer, unix socket to unix socket. `tcp`: a byte relay that reads nothing, as fast
 * as a proxy in C gets. `http`: it parses every request and answer and writes a log line for
 * each to a file, the work dockgate does but for its policy: the peer for what that costs.
 */
async function startHaproxy(
  dir: string,
  upstream: string,
  mode: 'tcp' | 'http' = 'tcp',
): Promise<{ socket: string; pid: number; child: ChildProcess } | null> {
  if (spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status !== 0) return null;
  const socket = path.join(dir, `h-${mode}.sock`);
  const cfg = path.join(dir, `haproxy-${mode}.cfg`);
  const logging =
    mode === 'http'
      ? { global: ['  log stdout format raw local0'], defaults: ['  log global', '  option httplog'] }
      : { global: [], defaults: [] };
  fs.writeFileSync(
    cfg,
    [
      'global',
      '  maxconn 4000',
      '  nbthread 1',
      ...logging.global,
      'defaults',
      `  mode ${mode}`,
      ...logging.defaults,
      '  timeout connect 5s',
      '  timeout client 1h',
      '  timeout server 1h',
      '  timeout tunnel 1h',
      '  timeout http-keep-alive 1h',
      'listen docker',
      `  bind unix@${socket}`,
      `  server daemon unix@${upstream}`,
      '',
    ].join('\n'),
  );
  const log = fs.openSync(path.join(dir, `haproxy-${mode}.log`), 'a');
  const child = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', log, 'pipe'] });
  fs.closeSync(log);
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  for (let i = 0; i < 100 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
  if (!fs.existsSync(socket)) throw new Error(`haproxy did not start: ${err}`);
  return { socket, pid: child.pid!, child };
}

/**
 * The bare Node relay (bench/node-relay.ts): what any proxy written in Node pays for the hop;
 * `withLibs`: carrying koffi and pino as dockgate does, for the memory floor.
 */
async function startNodeRelay(
  dir: string,
  upstream: string,
  withLibs = false,
): Promise<{ socket: string; pid: number }> {
  const socket = path.join(dir, withLibs ? 'nl.sock' : 'n.sock');
  const script = path.join(path.dirname(new URL(import.meta.url).pathname), 'node-relay.js');
  // The young-generation cap bin/dockgate gives serve, so that memory is compared like for like.
  const args = ['--max-semi-space-size=1', script, socket, upstream, ...(withLibs ? ['--with-libs'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  for (let i = 0; i < 100 && !err.includes('listening'); i++) await new Promise((r) => setTimeout(r, 50));
  if (!err.includes('listening')) throw new Error(`node-relay did not start: ${err}`);
  return { socket, pid: child.pid! };
}

/** `dockgate serve` from the checkout at `root`, started as the test harness starts this one's. */
async function startServeFrom(root: string, upstream: string): Promise<{ socket: string; pid: number }> {
  const dir = fs.mkdtempSync('/tmp/dgb-before-');
  const socket = path.join(dir, 'p.sock');
  const child = spawn(
    path.join(root, 'bin/dockgate'),
    [
      'serve',
      '--listen',
      `unix://${socket}`,
      '--upstream',
      `unix://${upstream}`,
      '--decision-log',
      path.join(dir, 'requests.log'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  for (let i = 0; i < 300 && !err.includes('dockgate: serving'); i++) await new Promise((r) => setTimeout(r, 50));
  if (!err.includes('dockgate: serving')) throw new Error(`dockgate from ${root} did not start: ${err}`);
  return { socket, pid: child.pid! };
}

function docker(socket: string, args: string[], stdin: 'ignore' | number = 'ignore'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, {
      env: { ...process.env, DOCKER_HOST: `unix://${socket}` },
      stdio: [stdin, 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(0) : reject(new Error(`docker ${args.join(' ')}: ${err.trim()}`)),
    );
  });
}

/** MB/s of `fn` moving `mb` megabytes through each target: best of `rounds`, the targets taking turns. */
async function throughput(
  targets: Target[],
  mb: number,
  rounds: number,
  fn: (t: Target) => Promise<unknown>,
): Promise<number[]> {
  const best = targets.map((t) => (t.streams === false ? NaN : 0));
  for (let round = 0; round < rounds; round++) {
    for (const [i, t] of targets.entries()) {
      if (t.streams === false) continue;
      const start = performance.now();
      await fn(t);
      best[i] = Math.max(best[i]!, mb / ((performance.now() - start) / 1000));
    }
  }
  return best;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const rows: string[][] = [];
function row(label: string, values: number[], unit: string, digits = 1, lowerIsBetter = false): void {
  const [direct, ...others] = values;
  const ratios = others.map((v) => (direct ? v / direct : NaN));
  rows.push([
    label,
    unit,
    ...values.map((v) => fmt(v, digits)),
    ...ratios.map((r) => (Number.isFinite(r) ? `${fmt(r, 2)}x` : '-')),
    lowerIsBetter ? '(lower is better)' : '',
  ]);
}

function printTable(targets: Target[]): void {
  const header = [
    'measure',
    'unit',
    ...targets.map((t) => t.name),
    ...targets.slice(1).map((t) => `${t.name}/direct`),
    '',
  ];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  for (const r of all)
    process.stdout.write(
      r
        .map((c, i) => (c ?? '').padEnd(widths[i]!))
        .join('  ')
        .trimEnd() + '\n',
    );
}

/** The stream measures: 200 MB of stdin into `docker exec -i`, and `docker save` of a 200 MB image. */
async function streams(
  targets: Target[],
  daemonSocket: string,
  image: string,
  cleanup: Array<() => Promise<void>>,
): Promise<void> {
  const work = fs.mkdtempSync('/tmp/dgb-');
  cleanup.push(async () => fs.rmSync(work, { recursive: true, force: true }));
  const blob = path.join(work, 'blob');
  fs.writeFileSync(blob, crypto.randomBytes(STREAM_MB * 1024 * 1024));
  const sleeper = spawnSync('docker', ['run', '-d', image, 'sleep', '600'], {
    env: { ...process.env, DOCKER_HOST: `unix://${daemonSocket}` },
    encoding: 'utf8',
  }).stdout.trim();
  process.stderr.write(`bench: exec -i ${STREAM_MB} MB\n`);
  const execMBs = await throughput(targets, STREAM_MB, 3, async (t) => {
    const fd = fs.openSync(blob, 'r');
    try {
      await docker(t.socket, ['exec', '-i', sleeper, 'sh', '-c', 'cat > /dev/null'], fd);
    } finally {
      fs.closeSync(fd);
    }
  });
  row(`exec -i stdin ${STREAM_MB} MB`, execMBs, 'MB/s', 0);

  const bigRoot = path.join(work, 'root');
  fs.mkdirSync(bigRoot);
  fs.renameSync(blob, path.join(bigRoot, 'blob'));
  const tar = path.join(work, 'big.tar');
  spawnSync('tar', ['-C', bigRoot, '-cf', tar, '.']);
  await docker(daemonSocket, ['import', tar, 'dockgate-bench/big:latest']);
  fs.rmSync(tar);
  process.stderr.write(`bench: docker save ${STREAM_MB} MB\n`);
  const saveMBs = await throughput(targets, STREAM_MB, 3, (t) =>
    docker(t.socket, ['save', 'dockgate-bench/big:latest']),
  );
  row(`docker save ${STREAM_MB} MB`, saveMBs, 'MB/s', 0);
}

async function main(): Promise<void> {
  const cleanup: Array<() => Promise<void>> = [];
  let daemon: Daemon | null = null;
  try {
    process.stderr.write('bench: starting a private dockerd, dockgate serve and haproxy...\n');
    daemon = await startDaemon();
    cleanup.push(() => daemon!.stop());
    const image = ensureTestImage(daemon.socket);
    const served: Served = await startServe({ upstream: daemon.socket });
    cleanup.unshift(async () => void (await served.stop()));
    const haproxy = await startHaproxy(daemon.dir, daemon.socket);
    if (haproxy) cleanup.unshift(() => stopPid(haproxy.pid, 5000));
    const nodeRelay = await startNodeRelay(daemon.dir, daemon.socket);
    cleanup.unshift(() => stopPid(nodeRelay.pid, 5000));
    const haproxyHttp = haproxy ? await startHaproxy(daemon.dir, daemon.socket, 'http') : null;
    if (haproxyHttp) cleanup.unshift(() => stopPid(haproxyHttp.pid, 5000));
    const before = BEFORE ? await startServeFrom(BEFORE, daemon.socket) : null;
    if (before) cleanup.unshift(() => stopPid(before.pid, 5000));
    const targets: Target[] = [
      { name: 'direct', socket: daemon.socket, pid: null },
      { name: 'dockgate', socket: served.socket, pid: served.pid },
      ...(before ? [{ name: 'before', socket: before.socket, pid: before.pid }] : []),
      ...(haproxy ? [{ name: 'haproxy', socket: haproxy.socket, pid: haproxy.pid }] : []),
      { name: 'node-relay', socket: nodeRelay.socket, pid: nodeRelay.pid },
      // In mode http, HAProxy does not pass on the `Upgrade: tcp` of `docker exec -i` (dockerd answers
      // 200, the CLI gives up): it is a peer for requests only.
      ...(haproxyHttp
        ? [{ name: 'haproxy-http', socket: haproxyHttp.socket, pid: haproxyHttp.pid, streams: false }]
        : []),
    ];
    if (!haproxy) process.stderr.write('bench: haproxy not installed; comparing direct and dockgate only\n');

    // A few containers so /containers/json has something to say.
    for (let i = 0; i < 5; i++) await docker(daemon.socket, ['create', '--label', `bench=${i}`, image, 'true']);

    // Warm-up, not measured: a proxy is a long-running process, and in its first seconds of traffic
    // V8 is still compiling its hot code (TurboFan, on the same two cores). Without this, that
    // one-time cost lands on the first load point, and on dockgate far more than on the others,
    // which run little or no JavaScript.
    process.stderr.write(`bench: warm-up, ${WARM_UP_SECONDS}s per target\n`);
    for (const t of targets) {
      for (const [p, c] of [
        ['/_ping', 32],
        ['/containers/json?all=1', 4],
        ['/_ping', 1],
      ] as const) {
        const r = await runLoad(t.socket, p, c, (WARM_UP_SECONDS * 1000) / 3, 0);
        if (r.errors) throw new Error(`${r.errors} errors from ${t.name} on ${p} during warm-up`);
      }
    }

    // Each load point runs in ROUNDS short turns, the targets taking turns within each round,
    // and each figure is the median of its turns: this VM has bursts of noise lasting a second or
    // two, which one long turn per target put wholly on whichever target was running then.
    for (const [p, c] of [
      ['/_ping', 1],
      ['/_ping', 32],
      ['/containers/json?all=1', 1],
      ['/containers/json?all=1', 32],
    ] as const) {
      process.stderr.write(`bench: GET ${p} c=${c}, ${ROUNDS} rounds over ${targets.map((t) => t.name).join(', ')}\n`);
      const turns: LoadResult[][] = targets.map(() => []);
      const cpu = targets.map(() => ({ user: 0, system: 0, machine: 0, requests: 0, seconds: 0 }));
      for (let round = 0; round < ROUNDS; round++) {
        for (const [i, t] of targets.entries()) {
          const r = await runLoad(t.socket, p, c, (REQUEST_SECONDS * 1000) / ROUNDS, 200, () => [
            ...processTicks(t.pid),
            machineBusyTicks(),
          ]);
          if (r.errors) throw new Error(`${r.errors} errors from ${t.name} on ${p}`);
          turns[i]!.push(r);
          const [user, system, machine] = r.sampleDelta as [number, number, number];
          const x = cpu[i]!;
          x.user += user;
          x.system += system;
          x.machine += machine;
          x.requests += r.requests;
          x.seconds += r.seconds;
        }
      }
      const label = `GET ${p.split('?')[0]} c=${c}`;
      row(
        `${label} req/s`,
        turns.map((ts) => median(ts.map((r) => r.rps))),
        'req/s',
        0,
      );
      row(
        `${label} p50`,
        turns.map((ts) => median(ts.map((r) => r.p50ms))),
        'ms',
        3,
        true,
      );
      row(
        `${label} p99`,
        turns.map((ts) => median(ts.map((r) => r.p99ms))),
        'ms',
        3,
        true,
      );
      // Where the CPU goes: the load generator, the daemon and the proxy share the machine's CPUs.
      // When they are all busy, requests/s through a proxy is about direct's CPU per request
      // divided by the whole path's, whatever the proxy is (see the note under the table).
      const perRequest = (ticks: number, requests: number) => (ticks * 1e6) / TICKS_PER_SECOND / requests;
      rows.push([
        `${label} CPUs busy`,
        '%',
        ...cpu.map((x) => fmt((x.machine * 100) / TICKS_PER_SECOND / x.seconds / CPUS, 0)),
        ...cpu.slice(1).map(() => ''),
        '',
      ]);
      row(
        `${label} machine CPU per request`,
        cpu.map((x) => perRequest(x.machine, x.requests)),
        'µs',
        1,
        true,
      );
      // The proxy's own CPU (all its threads), and the kernel's part of it, as shares of what a
      // request costs the whole machine without a proxy.
      const direct = perRequest(cpu[0]!.machine, cpu[0]!.requests);
      for (const [what, ticks] of [
        ['proxy CPU', (x: (typeof cpu)[0]) => x.user + x.system],
        ['  of it in the kernel', (x: (typeof cpu)[0]) => x.system],
      ] as const) {
        const values = cpu.slice(1).map((x) => perRequest(ticks(x), x.requests));
        rows.push([
          `${label} ${what} per request`,
          'µs',
          '-',
          ...values.map((v) => fmt(v)),
          ...values.map((v) => `${fmt(v / direct, 2)}x`),
          "(ratio: to direct's machine CPU)",
        ]);
      }
    }

    if (!REQUESTS_ONLY) await streams(targets, daemon.socket, image, cleanup);
    // Memory: 1,000 idle keep-alive connections (each has carried one request), on a fresh
    // dockgate and haproxy; and the RSS the dockgate above ended the whole run with.
    const afterRun = rssMiB(served.pid);
    const fresh = await startServe({ upstream: daemon.socket });
    cleanup.unshift(async () => void (await fresh.stop()));
    const freshHaproxy = haproxy ? await startHaproxy(fs.mkdtempSync('/tmp/dgh-'), daemon.socket) : null;
    if (freshHaproxy) cleanup.unshift(() => stopPid(freshHaproxy.pid, 5000));
    const freshBefore = BEFORE ? await startServeFrom(BEFORE, daemon.socket) : null;
    if (freshBefore) cleanup.unshift(() => stopPid(freshBefore.pid, 5000));
    const relayDir = fs.mkdtempSync('/tmp/dgr-');
    const freshRelay = await startNodeRelay(relayDir, daemon.socket);
    cleanup.unshift(() => stopPid(freshRelay.pid, 5000));
    const relayWithLibs = await startNodeRelay(relayDir, daemon.socket, true);
    cleanup.unshift(() => stopPid(relayWithLibs.pid, 5000));
    // In the table's column order: dockgate, before, haproxy, node-relay.
    const memTargets = [
      { name: 'dockgate', pid: fresh.pid, socket: fresh.socket },
      ...(freshBefore ? [{ name: 'before', pid: freshBefore.pid, socket: freshBefore.socket }] : []),
      ...(freshHaproxy ? [{ name: 'haproxy', pid: freshHaproxy.pid, socket: freshHaproxy.socket }] : []),
      { name: 'node-relay', pid: freshRelay.pid, socket: freshRelay.socket },
    ];
    const rssStart: number[] = [];
    const rssOne: number[] = [];
    const rssIdle: number[] = [];
    const settle = () => new Promise((r) => setTimeout(r, 500));
    for (const t of [...memTargets, { name: 'node-relay with koffi and pino', ...relayWithLibs }]) {
      rssStart.push(rssMiB(t.pid));
      const one = await openIdle(t.socket, 1);
      await settle();
      rssOne.push(rssMiB(t.pid));
      for (const s of one) s.destroy();
      process.stderr.write(`bench: 1,000 idle connections via ${t.name}\n`);
      const idle = await openIdle(t.socket, 1000);
      await settle();
      rssIdle.push(rssMiB(t.pid));
      for (const s of idle) s.destroy();
    }
    // The relay with dockgate's libraries has no column: its figures go under the table.
    const withLibs = { start: rssStart.pop()!, one: rssOne.pop()!, idle: rssIdle.pop()! };
    rows.push(['RSS fresh process', 'MiB', '-', ...rssStart.map((v) => fmt(v)), '', '']);
    rows.push(['RSS after one request', 'MiB', '-', ...rssOne.map((v) => fmt(v)), '', '']);
    rows.push(['RSS fresh + 1,000 idle connections', 'MiB', '-', ...rssIdle.map((v) => fmt(v)), '', '']);
    rows.push([
      'RSS after all the load above',
      'MiB',
      '-',
      fmt(afterRun),
      ...(before ? [fmt(rssMiB(before.pid))] : []),
      ...(haproxy ? [fmt(rssMiB(haproxy.pid))] : []),
      fmt(rssMiB(nodeRelay.pid)),
      ...(haproxyHttp ? [fmt(rssMiB(haproxyHttp.pid))] : []),
      '',
      '',
    ]);

    process.stdout.write(
      `\ndockgate proxy benchmark (${WARM_UP_SECONDS}s warm-up per target, then ${REQUEST_SECONDS}s per load point and target, median of ${ROUNDS} interleaved rounds, ${process.env.DOCKER_VERSION ?? ''}node ${process.version}, ${CPUS} CPUs)\n`,
    );
    printTable(targets);
    process.stdout.write(
      `goals: >=${GOAL_RATE}x direct req/s, p99 <=1.3x direct, >=0.95x direct stream throughput, no slower than haproxy, <=80 MiB RSS at 1,000 idle connections\n`,
    );
    process.stdout.write(
      `node-relay with koffi and pino (peer credentials and a log line per connection): RSS fresh ${fmt(withLibs.start)} MiB, after one request ${fmt(withLibs.one)} MiB, with 1,000 idle connections ${fmt(withLibs.idle)} MiB: the memory floor of a Node proxy with dockgate's libraries\n`,
    );
    process.stdout.write(
      'haproxy: mode tcp, a byte relay (no parsing, no log); haproxy-http: mode http with a log line per request to a file, what dockgate does but for its policy\n',
    );
    process.stdout.write(
      `CPU: when the CPUs are all busy, a proxy keeps >=${GOAL_RATE}x of direct's req/s only if its own CPU per request is at most ${fmt(1 / GOAL_RATE - 1, 2)}x of direct's machine CPU per request (1/${GOAL_RATE} - 1)\n`,
    );
    process.stdout.write(
      'node-relay: a bare Node relay (no parsing, no policy, no log; reads into reused buffers, writes straight on), the floor for a proxy written in Node\n',
    );
  } finally {
    for (const c of cleanup) await c().catch((e) => process.stderr.write(`bench: cleanup: ${(e as Error).message}\n`));
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
