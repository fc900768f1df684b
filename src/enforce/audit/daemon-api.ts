// The audit's questions to the daemon, asked through the one daemon client (docker/daemon-client):
// each within the audit's deadline, and on a connection of its own, so the command exits when
// it is done.
import type { Address } from '../../docker/daemon-address.js';
import { type DaemonAnswer, getDaemonJson } from '../../docker/daemon-client.js';

export { DaemonError, type DaemonAnswer } from '../../docker/daemon-client.js';

export interface DaemonApi {
  readonly address: Address;
  /** GET `path`; at most `maxBytes` of answer (default 8 MiB). Throws DaemonError. */
  get(path: string, maxBytes?: number): Promise<DaemonAnswer>;
}

const DEFAULT_MAX_ANSWER = 8 * 1024 * 1024;

export function daemonApi(address: Address, deadlineMs: number): DaemonApi {
  return {
    address,
    get: (path, maxBytes = DEFAULT_MAX_ANSWER) =>
      getDaemonJson(address, path, { deadlineMs, maxBytes, keepAlive: false }),
  };
}
