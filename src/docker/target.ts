// The container a request acts on, as the policy sees it in `input.target`: looked up live at
// the daemon, because what a request may do to a container depends on what that container
// holds (a container that mounts host paths must not be entered as root or written by dockerd).
import { isLocalDriver, localVolumeHostPaths, type VolumeLookup } from './bind-mounts.js';
import type { InputTarget } from './input.js';

/** Looks a container up by name, id or id prefix; null when the daemon has none such. */
export type ContainerLookup = (ref: string) => Promise<InputTarget | null>;

/**
 * The target as the policy sees it, from `GET /containers/{ref}/json`. A mount counts as a host
 * mount when it is a bind, a `local` volume whose options mount a host path, or a volume of any
 * other driver (a plugin decides where its data lives, so it is taken as the host's).
 */
export async function describeContainer(inspect: unknown, lookupVolume: VolumeLookup): Promise<InputTarget> {
  const c = (inspect ?? {}) as {
    Id?: unknown;
    Name?: unknown;
    Config?: { User?: unknown; Labels?: unknown } | null;
    Mounts?: unknown;
  };
  let hostMounts = false;
  for (const m of Array.isArray(c.Mounts) ? c.Mounts : []) {
    const mount = (m ?? {}) as { Type?: unknown; Name?: unknown; Driver?: unknown };
    if (mount.Type === 'bind') hostMounts = true;
    else if (mount.Type === 'volume') {
      const driver = typeof mount.Driver === 'string' ? mount.Driver : '';
      if (!isLocalDriver(driver)) hostMounts = true;
      else if (
        typeof mount.Name === 'string' &&
        localVolumeHostPaths((await lookupVolume(mount.Name))?.Options).length > 0
      )
        hostMounts = true;
    } else if (mount.Type !== 'tmpfs') hostMounts = true; // npipe, cluster, ...: nothing known, so the stricter reading
    if (hostMounts) break;
  }
  const labels = c.Config?.Labels;
  return {
    type: 'container',
    id: typeof c.Id === 'string' ? c.Id : '',
    name: typeof c.Name === 'string' ? c.Name.replace(/^\//, '') : '',
    owner: null,
    mine: false,
    labels: labels && typeof labels === 'object' ? (labels as Record<string, string>) : {},
    user: typeof c.Config?.User === 'string' ? c.Config.User : '',
    host_mounts: hostMounts,
  };
}
