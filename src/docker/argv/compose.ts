// `docker compose … up|run|create` and `docker-compose …`: each service the command starts,
// turned into the container create request compose sends for it. The files are read with the
// `yaml` library, merged in `-f` order, and interpolated as compose interpolates (`$VAR`,
// `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `$$`), from the environment
// and the project's `.env`.
import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type DockerRequest, Undecidable } from './request.js';
import { mountSpec, volumeSpec } from './container.js';
import type { ArgvContext } from './context.js';
import { ArgvError, type FlagSpec, all, last, parseFlags } from './flags.js';

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
  for (const path of paths) {
    let doc: unknown;
    try {
      doc = parseYaml(ctx.readFile(path), { maxAliasCount: 100 });
    } catch (err) {
      if (err instanceof ArgvError) throw err;
      throw new ArgvError(`${path}: ${(err as Error).message}`);
    }
    doc = interpolate(doc, vars, path);
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
  const wanted = serviceArgs(sub, rest);
  const names = wanted.length > 0 ? wanted : Object.keys(services);
  const out: DockerRequest[] = [];
  for (const name of names) {
    const svc = services[name];
    if (svc === undefined) throw new ArgvError(`no such service: ${name}`);
    out.push(serviceRequest(name, svc.doc, svc.file, project, dir, ctx));
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

/** Service names given to up/create (all words that are not flags), or the one of run. */
function serviceArgs(sub: string, rest: string[]): string[] {
  const valued =
    /^(-e|--env|-l|--label|-p|--publish|-u|--user|-w|--workdir|-v|--volume|--name|--entrypoint|-t|--timeout|--scale|--exit-code-from|--attach|--no-attach|--pull|--wait-timeout|--cap-add|--cap-drop)$/;
  const out: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (a.startsWith('-')) {
      if (valued.test(a)) i++;
      continue;
    }
    out.push(a);
    if (sub === 'run') break;
  }
  return out;
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
): DockerRequest {
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
      else binds.push(spec.bind);
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
  if (binds.length > 0) host.Binds = binds;
  if (mounts.length > 0) host.Mounts = mounts;
  const set = (field: string, key: string, value: unknown) => {
    if (value === undefined) return;
    host[field] = value;
    note(`HostConfig.${field}`, where(key));
  };
  set('Privileged', 'privileged', svc.privileged === undefined ? undefined : truthy(svc.privileged));
  set('CapAdd', 'cap_add', svc.cap_add === undefined ? undefined : strList(svc.cap_add, where('cap_add')));
  set('CapDrop', 'cap_drop', svc.cap_drop === undefined ? undefined : strList(svc.cap_drop, where('cap_drop')));
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
  set('PidMode', 'pid', svc.pid === undefined ? undefined : String(svc.pid));
  set('IpcMode', 'ipc', svc.ipc === undefined ? undefined : String(svc.ipc));
  set('UTSMode', 'uts', svc.uts === undefined ? undefined : String(svc.uts));
  set('UsernsMode', 'userns_mode', svc.userns_mode === undefined ? undefined : String(svc.userns_mode));
  set(
    'SecurityOpt',
    'security_opt',
    svc.security_opt === undefined ? undefined : strList(svc.security_opt, where('security_opt')),
  );
  set('CgroupParent', 'cgroup_parent', svc.cgroup_parent === undefined ? undefined : String(svc.cgroup_parent));
  set('Sysctls', 'sysctls', svc.sysctls === undefined ? undefined : mapOrList(svc.sysctls));
  set('GroupAdd', 'group_add', svc.group_add === undefined ? undefined : strList(svc.group_add, where('group_add')));
  set(
    'VolumesFrom',
    'volumes_from',
    svc.volumes_from === undefined ? undefined : strList(svc.volumes_from, where('volumes_from')),
  );
  set('Runtime', 'runtime', svc.runtime === undefined ? undefined : String(svc.runtime));
  set('CgroupnsMode', 'cgroup', svc.cgroup === undefined ? undefined : String(svc.cgroup));
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
