// Running the real docker CLI (whichever `docker` is on PATH) against a socket.
import { spawn, type SpawnOptions } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  /** Bytes written to stdin, then stdin is closed. A path: that file is streamed in. */
  input?: Buffer | { file: string };
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Run as another user: prefix with setpriv. */
  as?: { uid: number; gid: number };
  cwd?: string;
}

/** Runs a command and collects its output; never throws for a non-zero exit. */
export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  let file = cmd;
  let argv = args;
  if (options.as) {
    file = 'setpriv';
    argv = ['--reuid', String(options.as.uid), '--regid', String(options.as.gid), '--init-groups', '--', cmd, ...args];
  }
  const spawnOptions: SpawnOptions = {
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: options.cwd,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, spawnOptions);
    const out: Buffer[] = [];
    let err = '';
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin!.on('error', () => {}); // the command may exit before reading all input
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    if (options.input === undefined) child.stdin!.end();
    else if (Buffer.isBuffer(options.input)) child.stdin!.end(options.input);
    else
      import('node:fs').then((fs) => fs.createReadStream((options.input as { file: string }).file).pipe(child.stdin!));
  });
}

/** A docker CLI bound to one socket. */
export function dockerAt(socket: string, base: RunOptions = {}) {
  const env = { DOCKER_HOST: `unix://${socket}`, DOCKER_CLI_HINTS: 'false', ...base.env };
  return (args: string[], options: RunOptions = {}) =>
    run('docker', args, { ...base, ...options, env: { ...env, ...options.env } });
}

/** Like run, but throws with stderr when the exit code is not 0. */
export async function ok(p: Promise<RunResult>): Promise<RunResult> {
  const r = await p;
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr.trim()}`);
  return r;
}
