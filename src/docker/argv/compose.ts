// `docker compose … up|run|create` and `docker-compose …`: each service the command starts,
// turned into the container create request compose sends for it. The files are read with the
// `yaml` library, merged in `-f` order, and interpolated as compose interpolates (`$VAR`,
// `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `$$`), from the environment
// and the project's `.env`.
import { createRequire } from 'node:module';
import { posix } from 'node:path';
import type * as Yaml from 'yaml';
import { type DockerRequest, Undecidable } from './request.js';
import { mountSpec, volumeSpec } from './container.js';
import type { ArgvContext } from './context.js';
import { ArgvError, type FlagSpec, all, last, parseFlags } from './flags.js';

// The yaml library is loaded by the first compose file read: most checked commands have none,
// and loading it costs a hook call more than judging one.
let yaml: typeof Yaml | undefined;
function parseYaml(
  text: string,
  options: Yaml.ToJSOptions & Yaml.ParseOptions & Yaml.DocumentOptions & Yaml.SchemaOptions,
): unknown {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yaml.parse(text, options);
}

const COMPOSE_FLAGS: readonly FlagSpec[] = [
  { name: 'file', short: 'f', kind: 'list' },
  { name: 'project-name', short: 'p', kind: 'string' },
  { name: 'project-directory', kind: 'string' },
  { name: 'env-file', kind: 'list' },
  { name: 'profile', kind: 'list' },
  { name: 'ansi', kind: 'string' },
  { name: 'progress', kind: 'string' },
  { name: 'parallel', kind: 'string' },
  { name: 'compatibility', kind: 'bool' },
  { name: 'dry-run', kind: 'bool' },
  { name: 'all-resources', kind: 'bool' },
  { name: 'verbose', kind: 'bool' },
];

/** Commands that start nothing new: no create request. */
const NO_CREATE = new Set([
  'ps',
  'ls',
  'logs',
  'config',
  'convert',
  'images',
  'top',
  'version',
  'down',
  'stop',
  'start',
  'restart',
  'pull',
  'push',
  'kill',
  'rm',
  'pause',
  'unpause',
  'events',
  'port',
  'wait',
  'stats',
]);

const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

type Doc = Record<string, unknown>;

export function composeRequests(args: readonly string[], ctx: ArgvContext): DockerRequest[] {
  const p = parseFlags(args, COMPOSE_FLAGS);
  const [sub, ...rest] = p.rest;
  if (sub === undefined || NO_CREATE.has(sub)) return [];
  if (sub !== 'up' && sub !== 'run' && sub !== 'create')
    throw new Undecidable(`docker compose ${sub}: a command the guard does not translate`);
  const files = all(p, 'file');
  const dir = posix.resolve(
    ctx.cwd,
    last(p, 'project-directory') ?? (files[0] ? posix.dirname(posix.resolve(ctx.cwd, files[0])) : '.'),
  );
  const paths = files.length > 0 ? files.map((f) => posix.resolve(ctx.cwd, f)) : [findDefault(ctx, dir)];
  const vars = { ...dotEnv(ctx, dir, all(p, 'env-file')), ...definedOnly(ctx.env) };
  const services: Record<string, { doc: Doc; file: string }> = {};
  const top: TopLevel = { volumes: {}, secrets: {}, configs: {} };
  for (const path of paths) {
    let doc: unknown;
    try {
      doc = parseYaml(ctx.readFile(path), { maxAliasCount: 100 });
    } catch (err) {
      if (err instanceof ArgvError) throw err;
      throw new ArgvError(`${path}: ${(err as Error).message}`);
    }
    doc = interpolate(doc, vars, path);
    for (const key of Object.keys((doc as Doc | null) ?? {})) {
      if (key.startsWith('x-') || TOP_LEVEL.has(key)) continue;
      throw new Undecidable(`${posix.basename(path)}: the top-level key ${key} is not translated by the guard`);
    }
    for (const kind of ['volumes', 'secrets', 'configs'] as const) {
      const defs = (doc as Doc | null)?.[kind];
      if (defs && typeof defs === 'object') Object.assign(top[kind], defs as Doc);
    }
    const svcs = (doc as Doc | null)?.services;
    if (svcs === undefined || svcs === null) continue;
    if (typeof svcs !== 'object' || Array.isArray(svcs)) throw new ArgvError(`${path}: services must be a mapping`);
    for (const [name, svc] of Object.entries(svcs as Doc)) {
      const before = services[name]?.doc ?? {};
      services[name] = { doc: { ...before, ...((svc as Doc) ?? {}) }, file: path };
    }
  }
  const project =
    last(p, 'project-name') ??
    vars.COMPOSE_PROJECT_NAME ??
    posix
      .basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '');
  const { names: wanted, overrides } = commandArgs(sub, rest);
  const names = wanted.length > 0 ? wanted : Object.keys(services);
  const out: DockerRequest[] = [];
  for (const [name, v] of Object.entries(top.volumes)) out.push(...volumeRequests(name, v, project));
  for (const name of names) {
    const svc = services[name];
    if (svc === undefined) throw new ArgvError(`no such service: ${name}`);
    out.push(serviceRequest(name, { ...svc.doc, ...overrides(svc.doc) }, svc.file, project, dir, ctx, top));
  }
  return out;
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function findDefault(ctx: ArgvContext, dir: string): string {
  for (const name of DEFAULT_FILES) {
    const path = posix.join(dir, name);
    try {
      ctx.readFile(path);
      return path;
    } catch {
      // try the next name
    }
  }
  throw new ArgvError(`no configuration file provided: not found in ${dir}`);
}

function dotEnv(ctx: ArgvContext, dir: string, files: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const list = files.length > 0 ? files.map((f) => posix.resolve(ctx.cwd, f)) : [posix.join(dir, '.env')];
  for (const file of list) {
    let text: string;
    try {
      text = ctx.readFile(file);
    } catch (err) {
      if (files.length > 0) throw err;
      continue;
    }
    for (const line of text.split('\n')) {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$/.exec(line);
      if (!m) continue;
      let v = m[2] as string;
      if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1);
      out[m[1] as string] = v;
    }
  }
  return out;
}

const UP_FLAGS: readonly FlagSpec[] = [
  ...[
    'abort-on-container-exit',
    'abort-on-container-failure',
    'always-recreate-deps',
    'build',
    'detach',
    'force-recreate',
    'menu',
    'no-build',
    'no-color',
    'no-deps',
    'no-log-prefix',
    'no-recreate',
    'no-start',
    'quiet-build',
    'quiet-pull',
    'remove-orphans',
    'renew-anon-volumes',
    'timestamps',
    'wait',
    'watch',
    'yes',
    'y',
  ].map((name) => ({
    name,
    kind: 'bool' as const,
    ...(name === 'detach' ? { short: 'd' } : name === 'renew-anon-volumes' ? { short: 'V' } : {}),
  })),
  ...['attach', 'exit-code-from', 'no-attach', 'pull', 'scale', 'timeout', 'wait-timeout'].map((name) => ({
    name,
    kind: 'list' as const,
    ...(name === 'timeout' ? { short: 't' } : {}),
  })),
];

const RUN_FLAGS: readonly FlagSpec[] = [
  ...[
    'build',
    'detach',
    'interactive',
    'no-TTY',
    'no-deps',
    'quiet',
    'quiet-build',
    'quiet-pull',
    'remove-orphans',
    'rm',
    'service-ports',
    'use-aliases',
    'tty',
  ].map((name) => ({
    name,
    kind: 'bool' as const,
    ...(
      {
        detach: { short: 'd' },
        interactive: { short: 'i' },
        'no-TTY': { short: 'T' },
        quiet: { short: 'q' },
        tty: { short: 't' },
      } as Record<string, { short: string }>
    )[name],
  })),
  ...['cap-add', 'cap-drop', 'env', 'env-from-file', 'label', 'publish', 'volume'].map((name) => ({
    name,
    kind: 'list' as const,
    ...(
      { env: { short: 'e' }, label: { short: 'l' }, publish: { short: 'p' }, volume: { short: 'v' } } as Record<
        string,
        { short: string }
      >
    )[name],
  })),
  ...['entrypoint', 'name', 'pull', 'user', 'workdir'].map((name) => ({
    name,
    kind: 'string' as const,
    ...({ user: { short: 'u' }, workdir: { short: 'w' } } as Record<string, { short: string }>)[name],
  })),
];

/** The services a command names, and what `run`'s flags change in its service. */
function commandArgs(sub: string, rest: string[]): { names: string[]; overrides: (svc: Doc) => Doc } {
  if (sub !== 'run') {
    const p = parseFlags(rest, UP_FLAGS, true);
    return { names: p.rest, overrides: () => ({}) };
  }
  const p = parseFlags(rest, RUN_FLAGS);
  const [service, ...command] = p.rest;
  if (service === undefined) throw new ArgvError('"docker compose run" requires at least 1 argument');
  return {
    names: [service],
    overrides: (svc) => {
      const o: Doc = {};
      const volumes = all(p, 'volume');
      if (volumes.length > 0) o.volumes = [...((svc.volumes as unknown[] | undefined) ?? []), ...volumes];
      const capAdd = all(p, 'cap-add');
      if (capAdd.length > 0) o.cap_add = [...strList(svc.cap_add, 'cap_add'), ...capAdd];
      const capDrop = all(p, 'cap-drop');
      if (capDrop.length > 0) o.cap_drop = [...strList(svc.cap_drop, 'cap_drop'), ...capDrop];
      const user = last(p, 'user');
      if (user !== undefined) o.user = user;
      const entrypoint = last(p, 'entrypoint');
      if (entrypoint !== undefined) o.entrypoint = entrypoint;
      if (command.length > 0) o.command = command;
      return o;
    },
  };
}

/** Compose interpolation of every string in the document. */
function interpolate(doc: unknown, vars: Record<string, string>, file: string): unknown {
  if (typeof doc === 'string') return interpolateString(doc, vars, file);
  if (Array.isArray(doc)) return doc.map((d) => interpolate(d, vars, file));
  if (doc !== null && typeof doc === 'object') {
    const out: Doc = {};
    for (const [k, v] of Object.entries(doc as Doc)) out[k] = interpolate(v, vars, file);
    return out;
  }
  return doc;
}

export function interpolateString(text: string, vars: Record<string, string>, file: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      let depth = 1;
      let j = i + 2;
      while (j < text.length && depth > 0) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}') depth--;
        j++;
      }
      if (depth > 0) throw new ArgvError(`${file}: invalid interpolation format for "${text}"`);
      const inner = text.slice(i + 2, j - 1);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])(.*))?$/s.exec(inner);
      if (!m) throw new ArgvError(`${file}: invalid interpolation format for "${text}"`);
      const [, name, op, arg = ''] = m as unknown as [string, string, string | undefined, string | undefined];
      const value = vars[name];
      const empty = value === undefined || (op?.startsWith(':') && value === '');
      if (op === ':-' || op === '-') out += empty ? interpolateString(arg, vars, file) : value;
      else if (op === ':?' || op === '?') {
        if (empty) throw new ArgvError(`${file}: required variable ${name} is missing a value: ${arg}`);
        out += value;
      } else if (op === ':+' || op === '+') out += empty ? '' : interpolateString(arg, vars, file);
      else out += value ?? '';
      i = j;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (m) {
      out += vars[m[0]] ?? '';
      i += 1 + m[0].length;
      continue;
    }
    out += '$';
    i++;
  }
  return out;
}

function strList(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) throw new ArgvError(`${what} must be a list`);
  return v.map((x) => String(x));
}

function mapOrList(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const x of v) {
      const s = String(x);
      const i = s.indexOf('=');
      out[i < 0 ? s : s.slice(0, i)] = i < 0 ? '' : s.slice(i + 1);
    }
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Doc)) out[k] = x === null ? '' : String(x);
  }
  return out;
}

function serviceRequest(
  name: string,
  svc: Doc,
  file: string,
  project: string,
  dir: string,
  ctx: ArgvContext,
  top: TopLevel,
): DockerRequest {
  for (const key of Object.keys(svc)) {
    if (key.startsWith('x-') || SERVICE_KEYS.has(key)) continue;
    throw new Undecidable(`service ${name} in ${posix.basename(file)}: the key ${key} is not translated by the guard`);
  }
  const where = (key: string, i?: number) =>
    `${key}${i === undefined ? '' : `[${i}]`} of service ${name} in ${posix.basename(file)}`;
  const origins: Record<string, string[]> = {};
  const note = (field: string, text: string) => {
    (origins[field] ??= []).push(text);
  };
  const host: Doc = {};
  const binds: string[] = [];
  const mounts: Doc[] = [];
  const volumes: Doc = {};
  const svcCtx: ArgvContext = { ...ctx, cwd: dir };
  strListOrObjects(svc.volumes).forEach((v, i) => {
    if (typeof v === 'string') {
      const spec = volumeSpec(v.startsWith('~') ? (ctx.env.HOME ?? '~') + v.slice(1) : v, svcCtx);
      if (spec.bind === undefined) volumes[spec.target] = {};
      else if (spec.bind.startsWith('/')) mounts.push(bindMount(spec.bind));
      else {
        // A named volume: the project's own volume, under the name compose gives it.
        const vol = spec.bind.slice(0, spec.bind.indexOf(':'));
        const def = top.volumes[vol] as Doc | null | undefined;
        const real =
          def === undefined
            ? vol
            : def?.name !== undefined
              ? String(def.name)
              : def?.external === true
                ? vol
                : `${project}_${vol}`;
        binds.push(real + spec.bind.slice(vol.length));
      }
    } else {
      const o = v as Doc;
      const type = String(o.type ?? 'volume');
      const csv = [`type=${type}`];
      if (o.source !== undefined) csv.push(`source=${String(o.source)}`);
      if (o.target !== undefined) csv.push(`target=${String(o.target)}`);
      if (o.read_only === true) csv.push('readonly');
      mounts.push(mountSpec(csv.join(',')));
    }
    note('HostConfig.Mounts', where('volumes', i));
    note('HostConfig.Binds', where('volumes', i));
  });
  // Secrets and configs from files are bind mounts of those host files.
  for (const kind of ['secrets', 'configs'] as const) {
    strListOrObjects(svc[kind]).forEach((ref, i) => {
      const source = typeof ref === 'string' ? ref : String((ref as Doc).source ?? '');
      const def = top[kind][source] as Doc | undefined;
      if (def === undefined) throw new ArgvError(`service ${name} refers to undefined ${kind.slice(0, -1)} ${source}`);
      if (def.file === undefined) {
        if (def.external === true || def.environment !== undefined || def.content !== undefined) return;
        throw new Undecidable(
          `${kind.slice(0, -1)} ${source}: only file, environment, content and external ones are translated`,
        );
      }
      const target =
        typeof ref === 'object' && ref !== null && (ref as Doc).target !== undefined
          ? String((ref as Doc).target)
          : source;
      const inside = target.startsWith('/') ? target : kind === 'secrets' ? `/run/secrets/${target}` : `/${target}`;
      mounts.push({ Type: 'bind', Source: posix.resolve(dir, String(def.file)), Target: inside, ReadOnly: true });
      note('HostConfig.Mounts', where(kind, i));
    });
  }
  if (binds.length > 0) host.Binds = binds;
  if (mounts.length > 0) host.Mounts = mounts;
  const set = (field: string, key: string, value: unknown) => {
    if (value === undefined) return;
    host[field] = value;
    note(`HostConfig.${field}`, where(key));
  };
  // The service keys read the same way for many fields: as text, a list of strings, a map.
  const setString = (field: string, key: string) =>
    set(field, key, svc[key] === undefined ? undefined : String(svc[key]));
  const setList = (field: string, key: string) =>
    set(field, key, svc[key] === undefined ? undefined : strList(svc[key], where(key)));
  const setMap = (field: string, key: string) =>
    set(field, key, svc[key] === undefined ? undefined : mapOrList(svc[key]));
  set('Privileged', 'privileged', svc.privileged === undefined ? undefined : truthy(svc.privileged));
  setList('CapAdd', 'cap_add');
  setList('CapDrop', 'cap_drop');
  set(
    'Devices',
    'devices',
    svc.devices === undefined
      ? undefined
      : strList(svc.devices, where('devices')).map((d) => {
          const [src, dst, perm] = d.split(':');
          return { PathOnHost: src, PathInContainer: dst ?? src, CgroupPermissions: perm ?? 'rwm' };
        }),
  );
  set('NetworkMode', 'network_mode', svc.network_mode === undefined ? `${project}_default` : String(svc.network_mode));
  setString('PidMode', 'pid');
  setString('IpcMode', 'ipc');
  setString('UTSMode', 'uts');
  setString('UsernsMode', 'userns_mode');
  setList('SecurityOpt', 'security_opt');
  setString('CgroupParent', 'cgroup_parent');
  setMap('Sysctls', 'sysctls');
  setList('GroupAdd', 'group_add');
  setList('VolumesFrom', 'volumes_from');
  setString('Runtime', 'runtime');
  setString('CgroupnsMode', 'cgroup');
  setList('DeviceCgroupRules', 'device_cgroup_rules');
  setString('Isolation', 'isolation');
  setMap('StorageOpt', 'storage_opt');
  setMap('Annotations', 'annotations');
  set('OomScoreAdj', 'oom_score_adj', svc.oom_score_adj === undefined ? undefined : Number(svc.oom_score_adj));
  set('ReadonlyRootfs', 'read_only', svc.read_only === undefined ? undefined : truthy(svc.read_only));
  setList('Links', 'links');
  const requests = gpuRequests(svc);
  if (requests.length > 0) set('DeviceRequests', svc.gpus === undefined ? 'deploy' : 'gpus', requests);
  if (svc.tmpfs !== undefined) {
    const tmpfs: Record<string, string> = {};
    for (const t of strList(svc.tmpfs, where('tmpfs'))) {
      const i = t.indexOf(':');
      tmpfs[i < 0 ? t : t.slice(0, i)] = i < 0 ? '' : t.slice(i + 1);
    }
    set('Tmpfs', 'tmpfs', tmpfs);
  }
  if (svc.build !== undefined && svc.image === undefined)
    throw new Undecidable(
      `service ${name} in ${posix.basename(file)} is built first: judge its build with docker build`,
    );
  const labels = mapOrList(svc.labels);
  labels['com.docker.compose.project'] = project;
  labels['com.docker.compose.service'] = name;
  const env = Object.entries(mapOrList(svc.environment)).map(([k, v]) => `${k}=${v}`);
  const body: Doc = {
    Image: String(svc.image ?? `${project}-${name}`),
    User: svc.user === undefined ? '' : String(svc.user),
    Labels: labels,
    Env: env.length > 0 ? env : null,
    Cmd:
      svc.command === undefined
        ? null
        : typeof svc.command === 'string'
          ? svc.command.split(/\s+/)
          : strList(svc.command, where('command')),
    Volumes: volumes,
    HostConfig: host,
  };
  if (svc.user !== undefined) note('User', where('user'));
  const container = String(svc.container_name ?? `${project}-${name}-1`);
  return {
    method: 'POST',
    target: `/containers/create?name=${encodeURIComponent(container)}`,
    body,
    command: `service ${name} in ${posix.basename(file)}`,
    origins,
    notes: [],
  };
}

function strListOrObjects(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ArgvError('volumes must be a list');
  return v;
}

function bindMount(spec: string): Doc {
  const parts = spec.split(':');
  const m: Doc = { Type: 'bind', Source: parts[0], Target: parts[1] };
  const mode = parts[2] ?? '';
  if (mode.split(',').includes('ro')) m.ReadOnly = true;
  return m;
}

/** A boolean after interpolation: YAML true, or the text compose reads as true. */
function truthy(v: unknown): boolean {
  return v === true || (typeof v === 'string' && /^(true|yes|on|1)$/i.test(v));
}

interface TopLevel {
  volumes: Doc;
  secrets: Doc;
  configs: Doc;
}

const TOP_LEVEL = new Set(['services', 'volumes', 'networks', 'secrets', 'configs', 'name', 'version']);

/** Service keys the translation reads, or that reach nothing on the host. */
const SERVICE_KEYS = new Set([
  'image',
  'build',
  'command',
  'entrypoint',
  'environment',
  'env_file',
  'labels',
  'volumes',
  'privileged',
  'cap_add',
  'cap_drop',
  'devices',
  'network_mode',
  'networks',
  'pid',
  'ipc',
  'uts',
  'userns_mode',
  'security_opt',
  'cgroup_parent',
  'sysctls',
  'group_add',
  'volumes_from',
  'runtime',
  'cgroup',
  'user',
  'working_dir',
  'ports',
  'expose',
  'restart',
  'depends_on',
  'healthcheck',
  'container_name',
  'hostname',
  'domainname',
  'stdin_open',
  'tty',
  'init',
  'read_only',
  'tmpfs',
  'ulimits',
  'mem_limit',
  'memswap_limit',
  'mem_reservation',
  'mem_swappiness',
  'cpus',
  'cpu_shares',
  'cpu_quota',
  'cpu_period',
  'cpuset',
  'pids_limit',
  'shm_size',
  'stop_signal',
  'stop_grace_period',
  'logging',
  'dns',
  'dns_search',
  'dns_opt',
  'extra_hosts',
  'secrets',
  'configs',
  'profiles',
  'platform',
  'pull_policy',
  'deploy',
  'device_cgroup_rules',
  'isolation',
  'storage_opt',
  'annotations',
  'oom_score_adj',
  'oom_kill_disable',
  'links',
  'external_links',
  'mac_address',
  'gpus',
  'scale',
  'attach',
  'develop',
  'label_file',
  'post_start',
  'pre_stop',
]);

/** GPUs: `gpus:` and deploy.resources.reservations.devices become device requests. */
function gpuRequests(svc: Doc): Doc[] {
  const out: Doc[] = [];
  if (svc.gpus === 'all') out.push({ Driver: '', Count: -1, Capabilities: [['gpu']] });
  else if (Array.isArray(svc.gpus)) for (const g of svc.gpus) out.push(deviceRequest(g as Doc));
  const deploy = svc.deploy as Doc | undefined;
  const devices = ((deploy?.resources as Doc | undefined)?.reservations as Doc | undefined)?.devices;
  if (Array.isArray(devices)) for (const d of devices) out.push(deviceRequest(d as Doc));
  return out;
}

function deviceRequest(d: Doc): Doc {
  return {
    Driver: String(d?.driver ?? ''),
    Count: d?.count === 'all' ? -1 : Number(d?.count ?? (d?.device_ids ? 0 : -1)),
    DeviceIDs: Array.isArray(d?.device_ids) ? d.device_ids.map(String) : null,
    Capabilities: [Array.isArray(d?.capabilities) ? d.capabilities.map(String) : ['gpu']],
  };
}

/** A project volume compose creates: its create request (external ones exist already). */
function volumeRequests(name: string, v: unknown, project: string): DockerRequest[] {
  const def = (v ?? {}) as Doc;
  if (def.external === true) return [];
  const volName = def.name === undefined ? `${project}_${name}` : String(def.name);
  return [
    {
      method: 'POST',
      target: '/volumes/create',
      body: {
        Name: volName,
        Driver: String(def.driver ?? 'local'),
        DriverOpts: mapOrList(def.driver_opts),
        Labels: { ...mapOrList(def.labels), 'com.docker.compose.project': project, 'com.docker.compose.volume': name },
      },
      command: `volume ${name} of the compose project`,
      origins: { DriverOpts: [`volumes.${name}.driver_opts`], Driver: [`volumes.${name}.driver`] },
      notes: [],
    },
  ];
}
