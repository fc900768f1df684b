// `dockgate plugin` as a child process, and a private dockerd that asks it about every request.
// Each run uses its own plugin name, so parallel runs never share a socket in /run/docker/plugins.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { type Daemon, startDaemon } from '../../harness/daemon.js';
import { DOCKGATE_BIN } from '../../harness/serve.js';

export interface RunningPlugin {
  name: string;
  socket: string;
  pid: number;
  stderr(): string;
  /** SIGTERM and wait; the socket file is gone afterwards. */
  stop(): Promise<void>;
  /** SIGHUP, resolved when the plugin says it reloaded (or that the reload failed). */
  reload(): Promise<string>;
}

export function uniquePluginName(): string {
  return `dgtest-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export async function startPlugin(name: string, upstream: string, args: string[] = []): Promise<RunningPlugin> {
  const socket = `/run/docker/plugins/${name}.sock`;
  const child = spawn(DOCKGATE_BIN, ['plugin', '--name', name, '--upstream', upstream, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dockgate plugin did not start: ${stderr}`)), 15_000);
    child.stderr!.on('data', () => {
      if (stderr.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`dockgate plugin exited with ${code}: ${stderr}`));
    });
  });
  return {
    name,
    socket,
    pid: child.pid!,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      fs.rmSync(socket, { force: true });
    },
    reload: () =>
      new Promise<string>((resolve) => {
        const before = stderr.length;
        const check = () => {
          const said = stderr.slice(before);
          if (said.includes('reloaded') || said.includes('reload failed') || said.includes('did not load')) {
            child.stderr!.off('data', check);
            resolve(said);
          }
        };
        child.stderr!.on('data', check);
        child.kill('SIGHUP');
      }),
  };
}

export interface GuardedDaemon {
  daemon: Daemon;
  plugin: RunningPlugin;
  /** Replaces the plugin process (same name, same socket) by one started with `args`. */
  restartPlugin(args: string[]): Promise<RunningPlugin>;
  stop(): Promise<void>;
}

/**
 * A private dockerd started with --authorization-plugin (and `daemonArgs`), its plugin (started
 * with `args`) first.
 */
export async function startGuardedDaemon(args: string[] = [], daemonArgs: string[] = []): Promise<GuardedDaemon> {
  const name = uniquePluginName();
  let plugin: RunningPlugin | undefined;
  let upstream = '';
  const daemon = await startDaemon({
    args: [`--authorization-plugin=${name}`, ...daemonArgs],
    beforeStart: async (socket) => {
      upstream = `unix://${socket}`;
      plugin = await startPlugin(name, upstream, args);
    },
  });
  const guarded: GuardedDaemon = {
    daemon,
    plugin: plugin!,
    restartPlugin: async (next) => {
      await guarded.plugin.stop();
      guarded.plugin = await startPlugin(name, upstream, next);
      return guarded.plugin;
    },
    stop: async () => {
      await daemon.stop();
      await guarded.plugin.stop();
    },
  };
  return guarded;
}
