// The request that would create an object the daemon holds, rebuilt from what the daemon says
// about it. A container's create body is its inspect `Config` with `HostConfig` and the
// `NetworkingConfig` of its endpoints beside it, less what the daemon filled in on its own: a
// setting no request carried must not be judged as if someone had asked for it. A setting equal
// to the daemon's default is dropped even when a request did carry it; the policy is then asked
// about the default, which is what the container has.

/** What the daemon does when a create leaves a setting out (from GET /info). */
export interface DaemonDefaults {
  /** "host" on cgroup v1, "private" on cgroup v2 (dockerd's default-cgroupns-mode). */
  cgroupnsMode: string | undefined;
  /** The daemon's log driver (`LoggingDriver`): inspect shows it for containers that named none. */
  logDriver: string | undefined;
  /** The daemon's default runtime (`DefaultRuntime`): inspect shows it for containers that named none. */
  runtime: string | undefined;
}

/** dockerd's default for `/info` `CgroupVersion` ("1", "2"): the cgroup namespace a container gets. */
export function defaultCgroupnsMode(cgroupVersion: unknown): string | undefined {
  if (cgroupVersion === '1') return 'host';
  if (cgroupVersion === '2') return 'private';
  return undefined;
}

export function daemonDefaultsOf(info: unknown): DaemonDefaults {
  const i = isObject(info) ? info : {};
  return {
    cgroupnsMode: defaultCgroupnsMode(i.CgroupVersion),
    logDriver: typeof i.LoggingDriver === 'string' && i.LoggingDriver !== '' ? i.LoggingDriver : undefined,
    runtime: typeof i.DefaultRuntime === 'string' && i.DefaultRuntime !== '' ? i.DefaultRuntime : undefined,
  };
}

/**
 * moby's oci.DefaultLinuxSpec MaskedPaths and ReadonlyPaths: dockerd stores them in HostConfig
 * at create when the request gave none and the container is not privileged. An empty list is
 * not the default: it is `--security-opt systempaths=unconfined`, and stays to be judged.
 */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
];
export const DEFAULT_READONLY_PATHS: readonly string[] = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

/** Endpoint settings a create request carries; the rest (addresses, ids) the daemon assigns. */
const REQUESTED_ENDPOINT_FIELDS = ['IPAMConfig', 'Links', 'Aliases', 'DriverOpts'] as const;

export class RebuildError extends Error {}

export interface RebuiltRequest {
  method: 'POST';
  /** Path and query, as a client would send it. */
  target: string;
  body: Record<string, unknown>;
}

/** The create request of a container, from `GET /containers/{id}/json`. Throws RebuildError. */
export function containerCreateRequest(inspect: unknown, defaults: DaemonDefaults): RebuiltRequest {
  if (!isObject(inspect))
    throw new RebuildError('the daemon described the container with something other than an object');
  const config = inspect.Config;
  if (!isObject(config)) throw new RebuildError('the container has no Config object');
  const hostConfig = inspect.HostConfig === null || inspect.HostConfig === undefined ? {} : inspect.HostConfig;
  if (!isObject(hostConfig)) throw new RebuildError('the container has a HostConfig that is not an object');
  const body: Record<string, unknown> = { ...config, HostConfig: requestedHostConfig(hostConfig, defaults) };
  const networks = isObject(inspect.NetworkSettings) ? inspect.NetworkSettings.Networks : undefined;
  if (isObject(networks)) body.NetworkingConfig = { EndpointsConfig: requestedEndpoints(networks) };
  const name = typeof inspect.Name === 'string' ? inspect.Name.replace(/^\//, '') : '';
  return {
    method: 'POST',
    target: name ? `/containers/create?name=${encodeURIComponent(name)}` : '/containers/create',
    body,
  };
}

/** The create request of a volume, from an entry of `GET /volumes`. Throws RebuildError. */
export function volumeCreateRequest(volume: unknown): RebuiltRequest {
  if (!isObject(volume) || typeof volume.Name !== 'string')
    throw new RebuildError('the daemon listed a volume without a name');
  const body: Record<string, unknown> = { Name: volume.Name };
  if (typeof volume.Driver === 'string') body.Driver = volume.Driver;
  if (volume.Options !== null && volume.Options !== undefined) body.DriverOpts = volume.Options;
  if (volume.Labels !== null && volume.Labels !== undefined) body.Labels = volume.Labels;
  return { method: 'POST', target: '/volumes/create', body };
}

/** HostConfig as inspected, less what the daemon filled in by itself. */
function requestedHostConfig(inspected: Record<string, unknown>, defaults: DaemonDefaults): Record<string, unknown> {
  const hc: Record<string, unknown> = { ...inspected };
  // "default" is what dockerd stores for a create that named no network.
  if (hc.NetworkMode === 'default') delete hc.NetworkMode;
  if (defaults.cgroupnsMode !== undefined && hc.CgroupnsMode === defaults.cgroupnsMode) delete hc.CgroupnsMode;
  if (defaults.runtime !== undefined && hc.Runtime === defaults.runtime) delete hc.Runtime;
  if (sameStrings(hc.MaskedPaths, DEFAULT_MASKED_PATHS)) delete hc.MaskedPaths;
  if (sameStrings(hc.ReadonlyPaths, DEFAULT_READONLY_PATHS)) delete hc.ReadonlyPaths;
  // Inspect shows the daemon's log driver for a container that named none (daemon/inspect.go).
  if (isObject(hc.LogConfig) && defaults.logDriver !== undefined && hc.LogConfig.Type === defaults.logDriver) {
    const { Type: _daemonDefault, ...rest } = hc.LogConfig;
    hc.LogConfig = rest;
  }
  const securityOpt = withoutDaemonLabel(hc);
  if (securityOpt !== undefined) hc.SecurityOpt = securityOpt;
  return hc;
}

/**
 * dockerd adds "label=disable" to SecurityOpt at create for a privileged container or one in the
 * host's ipc or pid namespace, unless the request gave a `label=...` option itself
 * (daemon.generateSecurityOpt). Such a container is judged on what made the daemon add it.
 */
function withoutDaemonLabel(hc: Record<string, unknown>): unknown[] | undefined {
  const opts = hc.SecurityOpt;
  if (!Array.isArray(opts) || opts.length === 0 || opts[opts.length - 1] !== 'label=disable') return undefined;
  if (!(hc.Privileged === true || hc.IpcMode === 'host' || hc.PidMode === 'host')) return undefined;
  const given = opts.slice(0, -1);
  const labelGiven = given.some((o) => typeof o === 'string' && o.split('=')[0] === 'label');
  return labelGiven ? undefined : given;
}

function requestedEndpoints(networks: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, endpoint] of Object.entries(networks)) {
    if (!isObject(endpoint)) {
      out[name] = endpoint;
      continue;
    }
    const kept: Record<string, unknown> = {};
    for (const field of REQUESTED_ENDPOINT_FIELDS) if (field in endpoint) kept[field] = endpoint[field];
    out[name] = kept;
  }
  return out;
}

function sameStrings(value: unknown, expected: readonly string[]): boolean {
  return Array.isArray(value) && value.length === expected.length && value.every((v, i) => v === expected[i]);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
