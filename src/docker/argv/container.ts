// `docker run` / `docker create` → the POST /containers/create request the docker CLI sends:
// every flag read as the CLI reads it, including what the CLI adds or changes by itself
// (relative bind sources made absolute, `seccomp=FILE` inlined, `systempaths=unconfined` turned
// into empty masked and read-only path lists, `--env-file`/`--label-file` read, `-e NAME` taken
// from the environment, capabilities normalised).
import { isAbsolute, resolve } from 'node:path';
import type { ArgvContext } from './context.js';
import {
  ArgvError,
  type FlagSpec,
  type ParsedFlags,
  all,
  intOf,
  isSet,
  last,
  parseFlags,
  ramInBytes,
} from './flags.js';

const b = (name: string, short?: string): FlagSpec => ({ name, kind: 'bool', ...(short ? { short } : {}) });
const s = (name: string, short?: string): FlagSpec => ({ name, kind: 'string', ...(short ? { short } : {}) });
const l = (name: string, short?: string): FlagSpec => ({ name, kind: 'list', ...(short ? { short } : {}) });

/** The flags of `docker create`; `docker run` adds a few of its own. */
export const CREATE_FLAGS: readonly FlagSpec[] = [
  l('add-host'),
  l('annotation'),
  l('attach', 'a'),
  s('blkio-weight'),
  l('blkio-weight-device'),
  l('cap-add'),
  l('cap-drop'),
  s('cgroup-parent'),
  s('cgroupns'),
  s('cidfile'),
  s('cpu-count'),
  s('cpu-percent'),
  s('cpu-period'),
  s('cpu-quota'),
  s('cpu-rt-period'),
  s('cpu-rt-runtime'),
  s('cpu-shares', 'c'),
  s('cpus'),
  s('cpuset-cpus'),
  s('cpuset-mems'),
  l('device'),
  l('device-cgroup-rule'),
  l('device-read-bps'),
  l('device-read-iops'),
  l('device-write-bps'),
  l('device-write-iops'),
  b('disable-content-trust'),
  l('dns'),
  l('dns-option'),
  l('dns-opt'),
  l('dns-search'),
  s('domainname'),
  s('entrypoint'),
  l('env', 'e'),
  l('env-file'),
  l('expose'),
  l('gpus'),
  l('group-add'),
  s('health-cmd'),
  s('health-interval'),
  s('health-retries'),
  s('health-start-interval'),
  s('health-start-period'),
  s('health-timeout'),
  b('help'),
  s('hostname', 'h'),
  b('init'),
  b('interactive', 'i'),
  s('io-maxbandwidth'),
  s('io-maxiops'),
  s('ip'),
  s('ip6'),
  s('ipc'),
  s('isolation'),
  s('kernel-memory'),
  l('label', 'l'),
  l('label-file'),
  l('link'),
  l('link-local-ip'),
  s('log-driver'),
  l('log-opt'),
  s('mac-address'),
  s('memory', 'm'),
  s('memory-reservation'),
  s('memory-swap'),
  s('memory-swappiness'),
  l('mount'),
  s('name'),
  l('network'),
  l('net'),
  l('network-alias'),
  l('net-alias'),
  b('no-healthcheck'),
  b('oom-kill-disable'),
  s('oom-score-adj'),
  s('pid'),
  s('pids-limit'),
  s('platform'),
  b('privileged'),
  l('publish', 'p'),
  b('publish-all', 'P'),
  s('pull'),
  b('quiet', 'q'),
  b('read-only'),
  s('restart'),
  b('rm'),
  s('runtime'),
  l('security-opt'),
  s('shm-size'),
  s('stop-signal'),
  s('stop-timeout'),
  l('storage-opt'),
  l('sysctl'),
  l('tmpfs'),
  b('tty', 't'),
  l('ulimit'),
  b('use-api-socket'),
  s('user', 'u'),
  s('userns'),
  s('uts'),
  l('volume', 'v'),
  s('volume-driver'),
  l('volumes-from'),
  s('workdir', 'w'),
];

export const RUN_FLAGS: readonly FlagSpec[] = [...CREATE_FLAGS, b('detach', 'd'), s('detach-keys'), b('sig-proxy')];

export interface CreateRequest {
  query: Record<string, string>;
  body: Record<string, unknown>;
  /** What the CLI does besides sending the body that the user should know. */
  notes: string[];
  /** Where each policy-relevant field came from: body path → the argument words. */
  origins: Record<string, string[]>;
}

/** The create request of `docker run|create ARGS`; `run` adds the attach defaults of a foreground run. */
export function containerCreate(args: readonly string[], ctx: ArgvContext, run: boolean): CreateRequest {
  const p = parseFlags(args, run ? RUN_FLAGS : CREATE_FLAGS);
  const [image, ...cmd] = p.rest;
  if (image === undefined) throw new ArgvError(`"docker ${run ? 'run' : 'create'}" requires at least 1 argument`);
  return createFrom(p, image, cmd, ctx, run);
}

function createFrom(p: ParsedFlags, image: string, cmd: string[], ctx: ArgvContext, run: boolean): CreateRequest {
  const notes: string[] = [];
  const origins: Record<string, string[]> = {};
  const origin = (field: string, flag: string) => {
    const w = p.words.get(flag);
    if (w) origins[field] = [...(origins[field] ?? []), ...w];
  };
  const query: Record<string, string> = {};
  const name = last(p, 'name');
  if (name) query.name = name;
  const platform = last(p, 'platform');
  if (platform) query.platform = platform;

  const detach = run && isSet(p, 'detach');
  const interactive = isSet(p, 'interactive');
  const attach = all(p, 'attach').map((a) => a.toLowerCase());
  const attachAll = attach.length === 0 && !detach;

  const host: Record<string, unknown> = {};
  const config: Record<string, unknown> = {
    Hostname: last(p, 'hostname') ?? '',
    Domainname: last(p, 'domainname') ?? '',
    User: last(p, 'user') ?? '',
    AttachStdin: interactive && !detach && (attachAll || attach.includes('stdin')),
    AttachStdout: attachAll || attach.includes('stdout'),
    AttachStderr: attachAll || attach.includes('stderr'),
    Tty: isSet(p, 'tty'),
    OpenStdin: interactive,
    StdinOnce: interactive && !detach && (attachAll || attach.includes('stdin')),
    Env: envList(p, ctx),
    Cmd: cmd.length > 0 ? cmd : null,
    Image: image,
    Volumes: {} as Record<string, unknown>,
    WorkingDir: last(p, 'workdir') ?? '',
    Entrypoint: entrypoint(last(p, 'entrypoint')),
    Labels: labels(p, ctx),
  };
  origin('User', 'user');

  // Binds and anonymous volumes from -v, as the CLI splits them.
  const binds: string[] = [];
  for (const spec of all(p, 'volume')) {
    const v = volumeSpec(spec, ctx);
    if (v.bind === undefined) (config.Volumes as Record<string, unknown>)[v.target] = {};
    else if (!binds.includes(v.bind)) binds.push(v.bind);
  }
  host.Binds = binds.length > 0 ? binds : null;
  origin('HostConfig.Binds', 'volume');
  const mounts = all(p, 'mount').map((m) => mountSpec(m));
  if (isSet(p, 'use-api-socket')) {
    const sock = daemonSocketPath(ctx);
    mounts.push({ Type: 'bind', Source: sock, Target: '/var/run/docker.sock' });
    notes.push(`--use-api-socket: the CLI mounts the daemon socket ${sock} into the container`);
    origins['HostConfig.Mounts'] = [...(origins['HostConfig.Mounts'] ?? []), '--use-api-socket'];
  }
  if (mounts.length > 0) host.Mounts = mounts;
  origin('HostConfig.Mounts', 'mount');

  host.NetworkMode = networkMode(p);
  origin('HostConfig.NetworkMode', 'network');
  origin('HostConfig.NetworkMode', 'net');
  const [capAdd, capDrop] = effectiveCaps(all(p, 'cap-add'), all(p, 'cap-drop'));
  host.CapAdd = capAdd;
  host.CapDrop = capDrop;
  origin('HostConfig.CapAdd', 'cap-add');
  host.CgroupnsMode = last(p, 'cgroupns') ?? '';
  host.GroupAdd = nullIfEmpty(all(p, 'group-add'));
  origin('HostConfig.GroupAdd', 'group-add');
  host.IpcMode = last(p, 'ipc') ?? '';
  origin('HostConfig.IpcMode', 'ipc');
  host.PidMode = last(p, 'pid') ?? '';
  origin('HostConfig.PidMode', 'pid');
  host.Privileged = isSet(p, 'privileged');
  origin('HostConfig.Privileged', 'privileged');
  host.ReadonlyRootfs = isSet(p, 'read-only');
  host.UTSMode = last(p, 'uts') ?? '';
  origin('HostConfig.UTSMode', 'uts');
  host.UsernsMode = last(p, 'userns') ?? '';
  origin('HostConfig.UsernsMode', 'userns');
  host.CgroupParent = last(p, 'cgroup-parent') ?? '';
  origin('HostConfig.CgroupParent', 'cgroup-parent');
  host.VolumesFrom = nullIfEmpty(all(p, 'volumes-from'));
  origin('HostConfig.VolumesFrom', 'volumes-from');
  host.AutoRemove = isSet(p, 'rm');
  host.Init = isSet(p, 'init') ? true : undefined;
  host.Runtime = last(p, 'runtime');
  origin('HostConfig.Runtime', 'runtime');
  host.Isolation = last(p, 'isolation') ?? '';

  const sec = securityOpts(all(p, 'security-opt'), ctx);
  host.SecurityOpt = sec.opts.length > 0 ? sec.opts : null;
  origin('HostConfig.SecurityOpt', 'security-opt');
  if (sec.unmasked) {
    host.MaskedPaths = [];
    host.ReadonlyPaths = [];
    origin('HostConfig.MaskedPaths', 'security-opt');
  }
  const sysctls = keyValues(all(p, 'sysctl'));
  if (Object.keys(sysctls).length > 0) host.Sysctls = sysctls;
  origin('HostConfig.Sysctls', 'sysctl');

  const devices: Record<string, unknown>[] = [];
  const requests: Record<string, unknown>[] = [];
  for (const d of all(p, 'device')) {
    if (!d.startsWith('/') && /^[^/:]+\/[^=]+=/.test(d)) requests.push({ Driver: 'cdi', DeviceIDs: [d] });
    else devices.push(deviceSpec(d));
  }
  host.Devices = devices;
  origin('HostConfig.Devices', 'device');
  for (const g of all(p, 'gpus')) requests.push(gpuRequest(g));
  host.DeviceRequests = requests.length > 0 ? requests : null;
  origin('HostConfig.DeviceRequests', 'gpus');
  origin('HostConfig.DeviceRequests', 'device');
  host.DeviceCgroupRules = nullIfEmpty(all(p, 'device-cgroup-rule'));
  origin('HostConfig.DeviceCgroupRules', 'device-cgroup-rule');

  const memory = last(p, 'memory');
  host.Memory = memory === undefined ? 0 : ramInBytes(memory, 'memory');
  const swap = last(p, 'memory-swap');
  host.MemorySwap = swap === undefined ? 0 : swap === '-1' ? -1 : ramInBytes(swap, 'memory-swap');
  const reservation = last(p, 'memory-reservation');
  host.MemoryReservation = reservation === undefined ? 0 : ramInBytes(reservation, 'memory-reservation');
  const shm = last(p, 'shm-size');
  host.ShmSize = shm === undefined ? 0 : ramInBytes(shm, 'shm-size');
  const cpus = last(p, 'cpus');
  if (cpus !== undefined) {
    if (!/^\d*\.?\d+$/.test(cpus)) throw new ArgvError(`invalid argument "${cpus}" for "--cpus" flag`);
    host.NanoCpus = Math.round(Number(cpus) * 1e9);
  } else host.NanoCpus = 0;
  host.BlkioWeight = intFlag(p, 'blkio-weight');
  host.CpuShares = intFlag(p, 'cpu-shares');
  host.CpuPeriod = intFlag(p, 'cpu-period');
  host.CpuQuota = intFlag(p, 'cpu-quota');
  host.CpuRealtimePeriod = intFlag(p, 'cpu-rt-period');
  host.CpuRealtimeRuntime = intFlag(p, 'cpu-rt-runtime');
  host.CpusetCpus = last(p, 'cpuset-cpus') ?? '';
  host.CpusetMems = last(p, 'cpuset-mems') ?? '';
  const pids = last(p, 'pids-limit');
  if (pids !== undefined) host.PidsLimit = intOf(pids, 'pids-limit');
  host.OomKillDisable = isSet(p, 'oom-kill-disable');
  host.OomScoreAdj = intFlag(p, 'oom-score-adj');
  const swappiness = last(p, 'memory-swappiness');
  host.MemorySwappiness = swappiness === undefined ? -1 : intOf(swappiness, 'memory-swappiness');
  host.Ulimits = all(p, 'ulimit').map(ulimit);
  origin('HostConfig.Ulimits', 'ulimit');
  const tmpfs: Record<string, string> = {};
  for (const t of all(p, 'tmpfs')) {
    const i = t.indexOf(':');
    tmpfs[i < 0 ? t : t.slice(0, i)] = i < 0 ? '' : t.slice(i + 1);
  }
  if (Object.keys(tmpfs).length > 0) host.Tmpfs = tmpfs;
  const storage = keyValues(all(p, 'storage-opt'));
  if (Object.keys(storage).length > 0) host.StorageOpt = storage;
  host.LogConfig = { Type: last(p, 'log-driver') ?? '', Config: keyValues(all(p, 'log-opt')) };
  host.RestartPolicy = restartPolicy(last(p, 'restart'));
  host.VolumeDriver = last(p, 'volume-driver') ?? '';
  host.ExtraHosts = nullIfEmpty(all(p, 'add-host'));
  host.Links = nullIfEmpty(all(p, 'link'));
  host.Dns = all(p, 'dns');
  host.DnsOptions = [...all(p, 'dns-option'), ...all(p, 'dns-opt')];
  host.DnsSearch = all(p, 'dns-search');
  host.PublishAllPorts = isSet(p, 'publish-all');
  const ann = keyValues(all(p, 'annotation'));
  if (Object.keys(ann).length > 0) host.Annotations = ann;
  ports(all(p, 'publish'), all(p, 'expose'), config, host);

  const body: Record<string, unknown> = { ...config, HostConfig: dropUndefined(host) };
  const net = host.NetworkMode as string;
  if (net !== 'host' && net !== 'none' && !net.startsWith('container:')) {
    body.NetworkingConfig = { EndpointsConfig: { [net]: {} } };
  }
  if (run && isSet(p, 'rm') && detach) notes.push('--rm: the container is removed when it stops');
  return { query, body, notes, origins };
}

function intFlag(p: ParsedFlags, name: string): number {
  const v = last(p, name);
  return v === undefined ? 0 : intOf(v, name);
}

function nullIfEmpty(list: string[]): string[] | null {
  return list.length > 0 ? list : null;
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

function entrypoint(value: string | undefined): string[] | null {
  if (value === undefined) return null;
  return [value];
}

function keyValues(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    out[i < 0 ? kv : kv.slice(0, i)] = i < 0 ? '' : kv.slice(i + 1);
  }
  return out;
}

/** `-e NAME=V`, `-e NAME` (from the environment, dropped when unset), then --env-file lines. */
function envList(p: ParsedFlags, ctx: ArgvContext): string[] | null {
  const out: string[] = [];
  const add = (e: string) => {
    // An unset NAME is sent as it is (the daemon then leaves it unset).
    if (e.includes('=')) out.push(e);
    else if (e !== '') out.push(ctx.env[e] !== undefined ? `${e}=${ctx.env[e]}` : e);
  };
  for (const file of all(p, 'env-file')) for (const line of fileLines(ctx, file)) add(line);
  for (const e of all(p, 'env')) add(e);
  return out.length > 0 ? out : null;
}

function labels(p: ParsedFlags, ctx: ArgvContext): Record<string, string> {
  const list: string[] = [];
  for (const file of all(p, 'label-file')) list.push(...fileLines(ctx, file));
  list.push(...all(p, 'label'));
  return keyValues(list);
}

function fileLines(ctx: ArgvContext, file: string): string[] {
  return ctx
    .readFile(file)
    .split('\n')
    .map((line) => line.replace(/^\s+/, '').replace(/\r$/, ''))
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** A -v spec: a bind (host path or named volume) when it has a source, else an anonymous volume. */
export function volumeSpec(spec: string, ctx: ArgvContext): { bind?: string; target: string } {
  const parts = spec.split(':');
  if (parts.length === 1) return { target: spec };
  const [source, target] = parts as [string, string];
  if (source === '') throw new ArgvError(`invalid spec: ${spec}: empty section between colons`);
  const rest = spec.slice(source.length);
  // The CLI makes a relative host path ("./x", "../x", ".") absolute from its directory.
  if (!isAbsolute(source) && source.startsWith('.')) return { bind: resolve(ctx.cwd, source) + rest, target };
  return { bind: spec, target };
}

/** --mount CSV, as the CLI's MountOpt reads it. */
export function mountSpec(csv: string): Record<string, unknown> {
  const m: Record<string, unknown> = { Type: 'volume' };
  const bindOpts: Record<string, unknown> = {};
  const volOpts: Record<string, unknown> = {};
  const driver: Record<string, unknown> = {};
  const driverOpts: Record<string, string> = {};
  const volLabels: Record<string, string> = {};
  const tmpfsOpts: Record<string, unknown> = {};
  for (const field of splitCsv(csv)) {
    const i = field.indexOf('=');
    const key = (i < 0 ? field : field.slice(0, i)).toLowerCase().trim();
    const value = i < 0 ? undefined : field.slice(i + 1);
    const need = () => {
      if (value === undefined) throw new ArgvError(`invalid field '${field}' must be a key=value pair`);
      return value;
    };
    const bool = () => value === undefined || /^(1|t|true)$/i.test(value);
    switch (key) {
      case 'type':
        m.Type = need().toLowerCase();
        break;
      case 'source':
      case 'src':
        m.Source = need();
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.Target = need();
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = bool();
        break;
      case 'consistency':
        m.Consistency = need();
        break;
      case 'bind-propagation':
        bindOpts.Propagation = need().toLowerCase();
        break;
      case 'bind-nonrecursive':
        bindOpts.NonRecursive = bool();
        break;
      case 'bind-recursive':
        bindOpts.ReadOnlyNonRecursive = need() === 'writable';
        break;
      case 'bind-create-mountpoint':
        bindOpts.CreateMountpoint = bool();
        break;
      case 'volume-nocopy':
        volOpts.NoCopy = bool();
        break;
      case 'volume-subpath':
        volOpts.Subpath = need();
        break;
      case 'volume-label': {
        const kv = need();
        const j = kv.indexOf('=');
        volLabels[j < 0 ? kv : kv.slice(0, j)] = j < 0 ? '' : kv.slice(j + 1);
        break;
      }
      case 'volume-driver':
        driver.Name = need();
        break;
      case 'volume-opt': {
        const kv = need();
        const j = kv.indexOf('=');
        if (j < 0) throw new ArgvError(`invalid volume-opt '${kv}'`);
        driverOpts[kv.slice(0, j)] = kv.slice(j + 1);
        break;
      }
      case 'tmpfs-size':
        tmpfsOpts.SizeBytes = ramInBytes(need(), 'mount');
        break;
      case 'tmpfs-mode':
        tmpfsOpts.Mode = Number.parseInt(need(), 8);
        break;
      case 'image-subpath':
        m.ImageOptions = { Subpath: need() };
        break;
      default:
        throw new ArgvError(`unknown option '${key}' in '${csv}'`);
    }
  }
  if (Object.keys(driverOpts).length > 0) driver.Options = driverOpts;
  if (Object.keys(driver).length > 0) volOpts.DriverConfig = driver;
  if (Object.keys(volLabels).length > 0) volOpts.Labels = volLabels;
  if (Object.keys(bindOpts).length > 0) m.BindOptions = bindOpts;
  if (Object.keys(volOpts).length > 0) m.VolumeOptions = volOpts;
  if (Object.keys(tmpfsOpts).length > 0) m.TmpfsOptions = tmpfsOpts;
  return m;
}

/** Comma-separated fields with CSV quoting, as encoding/csv reads one record. */
function splitCsv(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new ArgvError(`unterminated quote in '${text}'`);
  out.push(cur);
  return out;
}

function networkMode(p: ParsedFlags): string {
  const list = [...all(p, 'network'), ...all(p, 'net')];
  if (list.length === 0) return 'default';
  const first = list[0] as string;
  if (!first.includes('=')) return first;
  for (const field of splitCsv(first)) if (field.startsWith('name=')) return field.slice(5);
  throw new ArgvError(`invalid network '${first}': no name`);
}

function effectiveCaps(add: string[], drop: string[]): [string[] | null, string[] | null] {
  const norm = (list: string[]) => {
    const out: string[] = [];
    for (const c of list) {
      let n = c.trim().toUpperCase();
      if (n === '') continue;
      if (n !== 'ALL' && !n.startsWith('CAP_')) n = `CAP_${n}`;
      if (!out.includes(n)) out.push(n);
    }
    return out.sort();
  };
  let a = norm(add);
  let d = norm(drop);
  if (a.includes('ALL')) a = ['ALL'];
  if (d.includes('ALL')) d = ['ALL'];
  return [a.length > 0 ? a : null, d.length > 0 ? d : null];
}

function securityOpts(list: string[], ctx: ArgvContext): { opts: string[]; unmasked: boolean } {
  const opts: string[] = [];
  let unmasked = false;
  for (const opt of list) {
    if (opt === 'systempaths=unconfined') {
      unmasked = true;
      continue;
    }
    if (opt === 'no-new-privileges') {
      opts.push(opt);
      continue;
    }
    let i = opt.indexOf('=');
    if (i < 0) i = opt.indexOf(':');
    if (i < 0) throw new ArgvError(`invalid --security-opt: ${opt}`);
    const key = opt.slice(0, i);
    const value = opt.slice(i + 1);
    if (key === 'seccomp' && value !== 'unconfined' && value !== 'builtin') {
      let profile: unknown;
      try {
        profile = JSON.parse(ctx.readFile(value));
      } catch (err) {
        if (err instanceof ArgvError) throw new ArgvError(`opening seccomp profile (${value}) failed: ${err.message}`);
        throw new ArgvError(`compacting json for seccomp profile (${value}) failed`);
      }
      opts.push(`seccomp=${JSON.stringify(profile)}`);
      continue;
    }
    opts.push(opt);
  }
  return { opts, unmasked };
}

const DEVICE_MODE = /^[rwm]{1,3}$/;

function deviceSpec(spec: string): Record<string, string> {
  const parts = spec.split(':');
  let src = parts[0] as string;
  let dst = '';
  let perm = 'rwm';
  if (parts.length === 3) {
    dst = parts[1] as string;
    perm = parts[2] as string;
  } else if (parts.length === 2) {
    if (DEVICE_MODE.test(parts[1] as string)) perm = parts[1] as string;
    else dst = parts[1] as string;
  } else if (parts.length > 3) throw new ArgvError(`invalid device specification: ${spec}`);
  if (dst === '') dst = src;
  src = src.trim();
  return { PathOnHost: src, PathInContainer: dst, CgroupPermissions: perm };
}

function gpuRequest(spec: string): Record<string, unknown> {
  const req: Record<string, unknown> = {};
  const caps: string[] = [];
  for (const field of splitCsv(spec)) {
    const i = field.indexOf('=');
    if (i < 0) {
      if (field === 'all') req.Count = -1;
      else if (/^\d+$/.test(field)) req.Count = Number(field);
      else throw new ArgvError(`unexpected key '${field}' in '${spec}'`);
      continue;
    }
    const key = field.slice(0, i);
    const value = field.slice(i + 1);
    if (key === 'driver') req.Driver = value;
    else if (key === 'count') req.Count = value === 'all' ? -1 : Number(value);
    else if (key === 'device') req.DeviceIDs = value.split(',');
    else if (key === 'capabilities') caps.push(...value.split(','));
    else if (key === 'options') req.Options = keyValues(value.split(','));
    else throw new ArgvError(`unexpected key '${key}' in '${spec}'`);
  }
  req.Capabilities = [caps.length > 0 ? caps : ['gpu']];
  return req;
}

function ulimit(spec: string): Record<string, unknown> {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(spec);
  if (!m) throw new ArgvError(`invalid ulimit argument: ${spec}`);
  const soft = Number(m[2]);
  return { Name: m[1], Hard: m[3] === undefined ? soft : Number(m[3]), Soft: soft };
}

function restartPolicy(spec: string | undefined): Record<string, unknown> {
  if (spec === undefined || spec === '') return { Name: 'no', MaximumRetryCount: 0 };
  const [name, count] = spec.split(':');
  return { Name: name, MaximumRetryCount: count === undefined ? 0 : Number(count) };
}

function ports(publish: string[], expose: string[], config: Record<string, unknown>, host: Record<string, unknown>) {
  const exposed: Record<string, unknown> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const e of expose) exposed[e.includes('/') ? e : `${e}/tcp`] = {};
  for (const spec of publish) {
    const [hostPart, proto = 'tcp'] = spec.split('/') as [string, string?];
    const parts = hostPart.split(':');
    const container = parts.pop() as string;
    const hostPort = parts.pop() ?? '';
    const hostIp = parts.join(':');
    const key = `${container}/${proto}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: hostIp, HostPort: hostPort });
  }
  if (Object.keys(exposed).length > 0) config.ExposedPorts = exposed;
  host.PortBindings = bindings;
}

/** The daemon socket the CLI talks to (DOCKER_HOST), which --use-api-socket mounts. */
function daemonSocketPath(ctx: ArgvContext): string {
  const h = ctx.env.DOCKER_HOST;
  if (h?.startsWith('unix://')) return h.slice('unix://'.length);
  return '/var/run/docker.sock';
}
