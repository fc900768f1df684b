// What the audit must know about the daemon before judging anything, from one GET /info: the
// defaults it fills into containers (rebuild.ts), and the facts the pack is given at run time
// as `dockgate serve` gives them (its socket's real path and its data root, never mounted).
import { realpath } from 'node:fs/promises';
import type { Config } from '../../policy/index.js';
import { DaemonError, type DaemonApi } from './daemon-api.js';
import { daemonDefaultsOf, type DaemonDefaults } from './rebuild.js';

export interface DaemonFacts {
  defaults: DaemonDefaults;
  /** Fills config.daemon (sockets, data_root) as serve does; for PolicyOptions.runtimeConfig. */
  runtimeConfig: (config: Config) => void;
}

/** Asks the daemon; throws DaemonError when it cannot be asked (the audit cannot judge then). */
export async function readDaemonFacts(api: DaemonApi): Promise<DaemonFacts> {
  const answer = await api.get('/info', 1 << 20);
  if (answer.status !== 200 || typeof answer.body !== 'object' || answer.body === null) {
    throw new DaemonError(`GET /info answered ${answer.status}`);
  }
  const info = answer.body as Record<string, unknown>;
  const sockets: string[] = [];
  const address = api.address;
  if (address.kind === 'unix') sockets.push(await realpath(address.path).catch(() => address.path));
  const rootDir = typeof info.DockerRootDir === 'string' ? info.DockerRootDir : '';
  const dataRoot = rootDir === '' ? '' : await realpath(rootDir).catch(() => rootDir);
  return {
    defaults: daemonDefaultsOf(info),
    runtimeConfig: (config) => {
      const daemon = config.daemon as { sockets: string[]; data_root: string };
      daemon.sockets = [...new Set([...daemon.sockets, ...sockets])];
      if (daemon.data_root === '' && dataRoot !== '') daemon.data_root = dataRoot;
    },
  };
}
