// The shapes of the Engine API request bodies a policy judges, as dockerd's Go types declare
// them (api/types/container, mount, network, volume; Engine API up to 1.47). Only what matters
// for reading a body the way Go does: which objects are structs (keys matched to field names
// case-insensitively), which are maps (keys exact), and which are arrays of either. Which route
// carries which body is said by its row in the route table (routes.ts).

export type Shape =
  | { readonly kind: 'scalar' }
  | { readonly kind: 'struct'; readonly fields: ReadonlyMap<string, Shape> }
  | { readonly kind: 'map'; readonly of: Shape }
  | { readonly kind: 'array'; readonly of: Shape };

const scalar: Shape = { kind: 'scalar' };
const map = (of: Shape = scalar): Shape => ({ kind: 'map', of });
const array = (of: Shape = scalar): Shape => ({ kind: 'array', of });
/** A struct: field names given as "A B C" (scalars or arrays of scalars) plus shaped fields. */
function struct(scalars: string, shaped: Record<string, Shape> = {}): Shape & { kind: 'struct' } {
  const fields = new Map<string, Shape>();
  for (const name of scalars.split(/\s+/).filter(Boolean)) fields.set(name, scalar);
  for (const [name, shape] of Object.entries(shaped)) fields.set(name, shape);
  return { kind: 'struct', fields };
}
/** Go struct embedding: the embedded struct's fields are promoted. */
function merge(...parts: (Shape & { kind: 'struct' })[]): Shape & { kind: 'struct' } {
  const fields = new Map<string, Shape>();
  for (const p of parts) for (const [k, v] of p.fields) fields.set(k, v);
  return { kind: 'struct', fields };
}

const healthConfig = struct('Test Interval Timeout StartPeriod StartInterval Retries');

export const containerConfig = struct(
  'Hostname Domainname User AttachStdin AttachStdout AttachStderr Tty OpenStdin StdinOnce Env Cmd ' +
    'ArgsEscaped Image WorkingDir Entrypoint NetworkDisabled MacAddress OnBuild StopSignal StopTimeout Shell',
  { ExposedPorts: map(), Volumes: map(), Labels: map(), Healthcheck: healthConfig },
);

const weightDevice = struct('Path Weight');
const throttleDevice = struct('Path Rate');
const deviceMapping = struct('PathOnHost PathInContainer CgroupPermissions');
const deviceRequest = struct('Driver Count DeviceIDs Capabilities', { Options: map() });
const ulimit = struct('Name Hard Soft');

export const resources = struct(
  'CpuShares Memory NanoCpus CgroupParent BlkioWeight CpuPeriod CpuQuota CpuRealtimePeriod ' +
    'CpuRealtimeRuntime CpusetCpus CpusetMems DeviceCgroupRules KernelMemory KernelMemoryTCP ' +
    'MemoryReservation MemorySwap MemorySwappiness OomKillDisable PidsLimit CpuCount CpuPercent ' +
    'IOMaximumIOps IOMaximumBandwidth',
  {
    BlkioWeightDevice: array(weightDevice),
    BlkioDeviceReadBps: array(throttleDevice),
    BlkioDeviceWriteBps: array(throttleDevice),
    BlkioDeviceReadIOps: array(throttleDevice),
    BlkioDeviceWriteIOps: array(throttleDevice),
    Devices: array(deviceMapping),
    DeviceRequests: array(deviceRequest),
    Ulimits: array(ulimit),
  },
);

const driverConfig = struct('Name', { Options: map() });
export const mount = struct('Type Source Target ReadOnly Consistency', {
  BindOptions: struct('Propagation NonRecursive CreateMountpoint ReadOnlyNonRecursive ReadOnlyForceRecursive'),
  VolumeOptions: struct('NoCopy Subpath', { Labels: map(), DriverConfig: driverConfig }),
  ImageOptions: struct('Subpath'),
  TmpfsOptions: struct('SizeBytes Mode Options'),
  ClusterOptions: struct(''),
});

const restartPolicy = struct('Name MaximumRetryCount');

export const hostConfig = merge(
  resources,
  struct(
    'Binds ContainerIDFile NetworkMode AutoRemove VolumeDriver VolumesFrom ConsoleSize CapAdd CapDrop ' +
      'CgroupnsMode Dns DnsOptions DnsSearch ExtraHosts GroupAdd IpcMode Cgroup Links OomScoreAdj PidMode ' +
      'Privileged PublishAllPorts ReadonlyRootfs SecurityOpt UTSMode UsernsMode ShmSize Runtime Isolation ' +
      'MaskedPaths ReadonlyPaths Init',
    {
      LogConfig: struct('Type', { Config: map() }),
      PortBindings: map(array(struct('HostIp HostPort'))),
      RestartPolicy: restartPolicy,
      Annotations: map(),
      StorageOpt: map(),
      Tmpfs: map(),
      Sysctls: map(),
      Mounts: array(mount),
    },
  ),
);

const endpointSettings = struct(
  'Links Aliases MacAddress NetworkID EndpointID Gateway IPAddress IPPrefixLen IPv6Gateway ' +
    'GlobalIPv6Address GlobalIPv6PrefixLen DNSNames',
  { IPAMConfig: struct('IPv4Address IPv6Address LinkLocalIPs'), DriverOpts: map() },
);

export const networkingConfig = struct('', { EndpointsConfig: map(endpointSettings) });

/** POST /containers/create: Config, with HostConfig and NetworkingConfig beside it. */
export const containerCreateBody = merge(
  containerConfig,
  struct('', { HostConfig: hostConfig, NetworkingConfig: networkingConfig }),
);

/** POST /containers/{id}/update. */
export const containerUpdateBody = merge(resources, struct('', { RestartPolicy: restartPolicy }));

/** POST /containers/{id}/exec. */
export const execCreateBody = struct(
  'User Privileged Tty ConsoleSize AttachStdin AttachStderr AttachStdout Detach DetachKeys Env WorkingDir Cmd',
);

/** POST /exec/{id}/start. */
export const execStartBody = struct('Detach Tty ConsoleSize');

/** POST /volumes/create. */
export const volumeCreateBody = struct('Name Driver', {
  DriverOpts: map(),
  Labels: map(),
  ClusterVolumeSpec: struct(''),
});

const ipamConfig = struct('Subnet IPRange Gateway', { AuxiliaryAddresses: map() });
/** POST /networks/create. */
export const networkCreateBody = struct(
  'Name CheckDuplicate Driver Scope EnableIPv4 EnableIPv6 Internal Attachable Ingress ConfigOnly',
  {
    IPAM: struct('Driver', { Config: array(ipamConfig), Options: map() }),
    ConfigFrom: struct('Network'),
    Options: map(),
    Labels: map(),
  },
);

/** POST /networks/{id}/connect and /disconnect. */
export const networkConnectBody = struct('Container Force', { EndpointConfig: endpointSettings });

/** POST /plugins/pull, /plugins/{name}/upgrade: the privileges the user accepted. */
export const pluginPrivilegesBody = array(struct('Name Description Value'));

/** POST /plugins/{name}/set: "KEY=VALUE" settings. */
export const pluginSetBody = array();

/**
 * HostConfig fields that dockerd also reads from the top level of a create body when no
 * HostConfig is given (a deprecated embedding still honoured: verified on dockerd 20.10).
 */
export const TOP_LEVEL_HOST_CONFIG_FIELDS: ReadonlySet<string> = new Set(
  [...hostConfig.fields.keys()].filter((k) => !containerConfig.fields.has(k)),
);
