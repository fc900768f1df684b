// The decision core's questions to the daemon, for the CLI guard: asked of the daemon the docker
// CLI would talk to (DOCKER_HOST, else the default socket), each within a short deadline. When
// it cannot be asked, the look-up fails and the verdict that needs it is undecidable.
import type { VolumeInfo } from '../../docker/bind-mounts.js';
import { type ImageFacts, imageFacts } from '../../docker/build-plan.js';
import { parseAddress, type Address } from '../../docker/daemon-address.js';
import { getDaemonJson } from '../../docker/daemon-client.js';
import type { InputTarget } from '../../docker/input.js';
import { describeContainer } from '../../docker/target.js';
import type { DaemonPort } from '../../policy/index.js';

const DEADLINE_MS = 2_000;

export function daemonLookups(host: string | undefined): DaemonPort {
  let address: Address | Error;
  try {
    address = parseAddress(host && host !== '' ? host : 'unix:///var/run/docker.sock', 'DOCKER_HOST');
  } catch (err) {
    address = err as Error;
  }
  const get = async (path: string, what: string): Promise<unknown> => {
    if (address instanceof Error) throw new Error(`cannot look up ${what}: ${address.message}`);
    let answer: Awaited<ReturnType<typeof getDaemonJson>>;
    try {
      answer = await getDaemonJson(address, path, { deadlineMs: DEADLINE_MS, maxBytes: 1 << 20, keepAlive: false });
    } catch (err) {
      throw new Error(`cannot look up ${what}: the daemon is not reachable (${(err as Error).message})`);
    }
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new Error(`cannot look up ${what}: the daemon answered ${answer.status}`);
    return answer.body;
  };
  const lookupVolume = async (name: string): Promise<VolumeInfo | undefined> => {
    const v = (await get(`/volumes/${encodeURIComponent(name)}`, `volume ${name}`)) as
      | { Driver?: unknown; Options?: unknown }
      | undefined;
    if (v === undefined) return undefined;
    return { Driver: String(v?.Driver ?? ''), Options: (v?.Options as Record<string, string> | null) ?? null };
  };
  return {
    layer: 'cli',
    daemonReading: () => Promise.resolve(undefined),
    lookupVolume,
    lookupContainer: async (ref: string): Promise<InputTarget | null> => {
      const found = await get(`/containers/${encodeURIComponent(ref)}/json`, `container ${ref}`);
      return found === undefined ? null : describeContainer(found, lookupVolume);
    },
    lookupImage: async (name: string): Promise<ImageFacts | undefined> => {
      const found = await get(`/images/${encodeURIComponent(name)}/json`, `image ${name}`);
      return found === undefined ? undefined : imageFacts(found);
    },
    // Nothing is forwarded from here: there is nothing to hold.
    holdVolume: () => () => {},
  };
}
