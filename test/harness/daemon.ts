// A private dockerd for tests and benchmarks: its own data-root, exec-root, pidfile and
// socket under a short temp dir, no bridge, no iptables. Stopped by PID.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface Daemon {
  /** Directory holding the socket, pidfile and log (short: Unix socket paths are limited). */
  dir: string;
  socket: string;
  pid: number;
  /** True when this process started it (and so must stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves when `socket` answers GET /_ping with 200. */
export async function waitForPing(socket: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createConnection(socket);
      let data = '';
      s.on('connect', () => s.write('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n'));
      s.on('data', (d) => (data += d.toString('latin1')));
      s.on('error', () => resolve(false));
      s.on('close', () => resolve(data.startsWith('HTTP/1.1 200')));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`no daemon answered on ${socket} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a process by PID: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopPid(pid: number, graceMs: number): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const until = Date.now() + graceMs;
  while (alive(pid) && Date.now() < until) await sleep(50);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    while (alive(pid)) await sleep(20);
  }
}

/** Unmounts whatever the daemon left mounted under `dir`, then removes it. */
export function removeDaemonDir(dir: string): void {
  const mounts = fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m && (m === dir || m.startsWith(dir + '/')));
  for (const m of mounts.sort().reverse()) spawnSync('umount', ['-l', m!]);
  fs.rmSync(dir, { recursive: true, force: true });
}

export interface DaemonOptions {
  /** More dockerd flags, e.g. --authorization-plugin=NAME. */
  args?: string[];
  /** Runs before dockerd starts, given the socket it will listen on (e.g. to start its plugin). */
  beforeStart?: (socket: string) => Promise<void>;
}

/** Starts a private dockerd in a new temp dir and waits until it answers. */
export async function startDaemon(options: DaemonOptions = {}): Promise<Daemon> {
  const dir = fs.mkdtempSync('/tmp/dgd-');
  const socket = path.join(dir, 'd.sock');
  await options.beforeStart?.(socket);
  const log = fs.openSync(path.join(dir, 'dockerd.log'), 'a');
  const child = spawn(
    'dockerd',
    [
      '--data-root',
      path.join(dir, 'data'),
      '--exec-root',
      path.join(dir, 'x'),
      '--pidfile',
      path.join(dir, 'dockerd.pid'),
      '--host',
      `unix://${socket}`,
      '--bridge=none',
      '--iptables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      // Networks from a pool of their own: the defaults hold about thirty, and every daemon on
      // the host (and bridges a killed one left) takes from the same address space.
      '--default-address-pool',
      'base=10.123.0.0/16,size=24',
      '--shutdown-timeout=2',
      '--log-level=warn',
      ...(options.args ?? []),
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  child.unref();
  const pid = child.pid!;
  const daemon: Daemon = {
    dir,
    socket,
    pid,
    owned: true,
    stop: async () => {
      await stopPid(pid, 20_000);
      removeDaemonDir(dir);
    },
  };
  try {
    await waitForPing(socket, 60_000);
  } catch (err) {
    const tail = fs.existsSync(path.join(dir, 'dockerd.log'))
      ? fs.readFileSync(path.join(dir, 'dockerd.log'), 'utf8').slice(-2000)
      : '';
    await daemon.stop();
    throw new Error(`${(err as Error).message}\n${tail}`);
  }
  return daemon;
}

/**
 * The daemon tests run against: the one scripts/test.sh started (DOCKGATE_TEST_DOCKER_SOCK),
 * or a new private one that the caller stops.
 */
export async function testDaemon(): Promise<Daemon> {
  const shared = process.env.DOCKGATE_TEST_DOCKER_SOCK;
  if (shared) {
    await waitForPing(shared, 30_000);
    return { dir: path.dirname(shared), socket: shared, pid: 0, owned: false, stop: async () => {} };
  }
  return startDaemon();
}
