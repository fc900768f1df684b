// Starting `dockgate serve` (the real CLI, as a child process) for end-to-end tests.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (dist/test/harness/ → ../../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DOCKGATE_BIN = path.join(REPO_ROOT, 'bin/dockgate');

export interface Served {
  socket: string;
  dir: string;
  logFile: string;
  process: ChildProcess;
  pid: number;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
}

export interface ServeOptions {
  upstream: string;
  args?: string[];
  /** Directory for the socket and logs (default: a new temp dir). */
  dir?: string;
  socketName?: string;
}

export async function startServe(options: ServeOptions): Promise<Served> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? fs.mkdtempSync('/tmp/dgs-');
  // Traversable by everyone, so --socket-mode alone decides who may connect (tests connect as other users).
  if (ownDir) fs.chmodSync(dir, 0o755);
  const socket = path.join(dir, options.socketName ?? 'p.sock');
  const logFile = path.join(dir, 'requests.log');
  // Started as users start it: the launcher's own Node flags apply.
  const child = spawn(
    DOCKGATE_BIN,
    [
      'serve',
      '--listen',
      `unix://${socket}`,
      '--upstream',
      `unix://${options.upstream}`,
      '--decision-log',
      logFile,
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dockgate serve did not start: ${stderr}`)), 15_000);
    const check = () => {
      if (stderr.includes('dockgate: serving')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr!.on('data', check);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`dockgate serve exited with ${code}: ${stderr}`));
    });
  });
  return {
    socket,
    dir,
    logFile,
    process: child,
    pid: child.pid!,
    stderr: () => stderr,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}
