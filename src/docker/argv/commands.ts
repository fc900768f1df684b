// A docker CLI command line (the words after `docker`) → the Engine API requests it sends that
// a policy judges. Commands the translation does not know are not guessed at: they come back
// as undecidable, with the reason.
import { posix } from 'node:path';
import { composeRequests } from './compose.js';
import { type CreateRequest, containerCreate } from './container.js';
import type { ArgvContext } from './context.js';
import { ArgvError, type FlagSpec, all, isSet, last, parseFlags } from './flags.js';
import { type DockerRequest, Undecidable } from './request.js';

export { type DockerRequest, Undecidable } from './request.js';

const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: 'config', kind: 'string' },
  { name: 'context', short: 'c', kind: 'string' },
  { name: 'debug', short: 'D', kind: 'bool' },
  { name: 'host', short: 'H', kind: 'list' },
  { name: 'log-level', short: 'l', kind: 'string' },
  { name: 'tls', kind: 'bool' },
  { name: 'tlscacert', kind: 'string' },
  { name: 'tlscert', kind: 'string' },
  { name: 'tlskey', kind: 'string' },
  { name: 'tlsverify', kind: 'bool' },
  { name: 'version', short: 'v', kind: 'bool' },
  { name: 'help', kind: 'bool' },
];

/** `docker container X` and friends → the top-level spelling. */
const MANAGEMENT: Record<string, Record<string, string>> = {
  container: {
    run: 'run',
    create: 'create',
    exec: 'exec',
    cp: 'cp',
    start: 'start',
    stop: 'stop',
    restart: 'restart',
    kill: 'kill',
    rm: 'rm',
    remove: 'rm',
    ls: 'ps',
    list: 'ps',
    ps: 'ps',
    logs: 'logs',
    inspect: 'inspect',
    attach: 'attach',
    wait: 'wait',
    top: 'top',
    stats: 'stats',
    port: 'port',
    pause: 'pause',
    unpause: 'unpause',
    rename: 'rename',
    commit: 'commit',
    diff: 'diff',
    export: 'export',
    prune: 'container-prune',
    update: 'update',
  },
  image: {
    build: 'build',
    ls: 'images',
    list: 'images',
    pull: 'pull',
    push: 'push',
    rm: 'rmi',
    remove: 'rmi',
    inspect: 'image-inspect',
    tag: 'tag',
    history: 'history',
    save: 'save',
    load: 'load',
    import: 'import',
    prune: 'image-prune',
  },
  buildx: { build: 'build', b: 'build' },
  builder: { build: 'build' },
};

/** Requests with nothing in them a policy reads beyond their head. */
const SIMPLE: Record<string, (args: string[]) => [string, string][]> = {
  ps: () => [['GET', '/containers/json']],
  images: () => [['GET', '/images/json']],
  version: () => [['GET', '/version']],
  info: () => [['GET', '/info']],
  events: () => [['GET', '/events']],
  search: (a) => [['GET', `/images/search?term=${encodeURIComponent(a[a.length - 1] ?? '')}`]],
  login: () => [['POST', '/auth']],
  logout: () => [],
  pull: (a) => [['POST', `/images/create?fromImage=${encodeURIComponent(a[a.length - 1] ?? '')}`]],
  push: (a) => [['POST', `/images/${encodeURIComponent(a[a.length - 1] ?? '')}/push`]],
  logs: (a) => named(a, 'GET', '/logs'),
  inspect: (a) => named(a, 'GET', '/json'),
  'image-inspect': (a) => operands(a).map((n) => ['GET', `/images/${encodeURIComponent(n)}/json`]),
  start: (a) => named(a, 'POST', '/start'),
  stop: (a) => named(a, 'POST', '/stop'),
  restart: (a) => named(a, 'POST', '/restart'),
  kill: (a) => named(a, 'POST', '/kill'),
  pause: (a) => named(a, 'POST', '/pause'),
  unpause: (a) => named(a, 'POST', '/unpause'),
  wait: (a) => named(a, 'POST', '/wait'),
  top: (a) => named(a, 'GET', '/top').slice(0, 1),
  port: (a) => named(a, 'GET', '/json').slice(0, 1),
  stats: (a) => (operands(a).length > 0 ? named(a, 'GET', '/stats') : [['GET', '/containers/json']]),
  attach: (a) => named(a, 'POST', '/attach').slice(0, 1),
  diff: (a) => named(a, 'GET', '/changes').slice(0, 1),
  export: (a) => named(a, 'GET', '/export').slice(0, 1),
  rm: (a) => operands(a).map((n) => ['DELETE', `/containers/${encodeURIComponent(n)}`]),
  rmi: (a) => operands(a).map((n) => ['DELETE', `/images/${encodeURIComponent(n)}`]),
  history: (a) => operands(a).map((n) => ['GET', `/images/${encodeURIComponent(n)}/history`]),
  save: (a) => [['GET', '/images/get']].concat(operands(a).length === 0 ? [] : []) as [string, string][],
  load: () => [['POST', '/images/load']],
  tag: (a) => [['POST', `/images/${encodeURIComponent(operands(a)[0] ?? '')}/tag`]],
  rename: (a) => [['POST', `/containers/${encodeURIComponent(operands(a)[0] ?? '')}/rename`]],
  commit: (a) => [['POST', `/commit?container=${encodeURIComponent(operands(a)[0] ?? '')}`]],
  'container-prune': () => [['POST', '/containers/prune']],
  'image-prune': () => [['POST', '/images/prune']],
};

/** Words that are not flags (a rough cut for commands whose flags all take no value or `=`). */
function operands(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') return out.concat(args.slice(i + 1));
    if (a.startsWith('-')) {
      if (
        /^(-t|--time|--timeout|-s|--signal|--tail|--since|--until|-n|--format|-f|--filter|--type|--condition)$/.test(a)
      )
        i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

function named(args: string[], method: string, suffix: string): [string, string][] {
  return operands(args).map((n) => [method, `/containers/${encodeURIComponent(n)}${suffix}`]);
}

/** The requests of `docker ARGS` (ARGS: the words after the program name). */
export function dockerRequests(args: readonly string[], ctx: ArgvContext): DockerRequest[] {
  const g = parseFlags(args, GLOBAL_FLAGS);
  if (isSet(g, 'version') || isSet(g, 'help')) return [];
  let [cmd, ...rest] = g.rest;
  if (cmd === undefined) return [];
  const mgmt = MANAGEMENT[cmd];
  if (mgmt) {
    const sub = rest[0];
    if (sub === undefined) return [];
    const mapped = mgmt[sub];
    if (mapped === undefined) return managementOther(cmd, rest, ctx);
    const buildx = cmd === 'buildx';
    cmd = mapped;
    rest = rest.slice(1);
    return commandRequests(cmd, rest, ctx, buildx);
  }
  return commandRequests(cmd, rest, ctx);
}

function commandRequests(cmd: string, rest: string[], ctx: ArgvContext, buildx = false): DockerRequest[] {
  switch (cmd) {
    case 'run':
    case 'create':
      return [createRequest(containerCreate(rest, ctx, cmd === 'run'), `docker ${cmd}`)];
    case 'exec':
      return [execRequest(rest, ctx)];
    case 'cp':
      return [cpRequest(rest)];
    case 'build':
      return [buildRequest(rest, ctx, buildx)];
    case 'compose':
      return composeRequests(rest, ctx);
    case 'volume':
    case 'network':
    case 'plugin':
      return managementOther(cmd, rest, ctx);
    case 'update':
      throw new Undecidable('docker update changes resources of running containers; not translated');
  }
  const simple = SIMPLE[cmd];
  if (simple === undefined) throw new Undecidable(`docker ${cmd}: a command the guard does not translate`);
  return simple(rest).map(([method, target]) => ({
    method,
    target,
    body: null,
    command: `docker ${cmd}`,
    origins: {},
    notes: [],
  }));
}

function createRequest(c: CreateRequest, command: string): DockerRequest {
  const q = new URLSearchParams(c.query).toString();
  return {
    method: 'POST',
    target: `/containers/create${q ? `?${q}` : ''}`,
    body: c.body,
    command,
    origins: c.origins,
    notes: c.notes,
  };
}

const EXEC_FLAGS: readonly FlagSpec[] = [
  { name: 'detach', short: 'd', kind: 'bool' },
  { name: 'detach-keys', kind: 'string' },
  { name: 'env', short: 'e', kind: 'list' },
  { name: 'env-file', kind: 'list' },
  { name: 'interactive', short: 'i', kind: 'bool' },
  { name: 'privileged', kind: 'bool' },
  { name: 'tty', short: 't', kind: 'bool' },
  { name: 'user', short: 'u', kind: 'string' },
  { name: 'workdir', short: 'w', kind: 'string' },
];

function execRequest(args: string[], ctx: ArgvContext): DockerRequest {
  const p = parseFlags(args, EXEC_FLAGS);
  const [container, ...cmd] = p.rest;
  if (container === undefined || cmd.length === 0) throw new ArgvError('"docker exec" requires at least 2 arguments');
  const detach = isSet(p, 'detach');
  const interactive = isSet(p, 'interactive');
  const env: string[] = [];
  for (const e of all(p, 'env')) {
    if (e.includes('=')) env.push(e);
    else env.push(ctx.env[e] !== undefined ? `${e}=${ctx.env[e]}` : e);
  }
  const body: Record<string, unknown> = {
    User: last(p, 'user') ?? '',
    Privileged: isSet(p, 'privileged'),
    Tty: isSet(p, 'tty'),
    ConsoleSize: null,
    AttachStdin: interactive && !detach,
    AttachStderr: !detach,
    AttachStdout: !detach,
    Detach: detach,
    DetachKeys: last(p, 'detach-keys') ?? '',
    Env: env.length > 0 ? env : null,
    WorkingDir: last(p, 'workdir') ?? '',
    Cmd: cmd,
  };
  const origins: Record<string, string[]> = {};
  if (p.words.get('privileged')) origins.Privileged = p.words.get('privileged') as string[];
  if (p.words.get('user')) origins.User = p.words.get('user') as string[];
  return {
    method: 'POST',
    target: `/containers/${encodeURIComponent(container)}/exec`,
    body,
    command: 'docker exec',
    origins,
    notes: [],
  };
}

function cpRequest(args: string[]): DockerRequest {
  const p = parseFlags(args, [
    { name: 'archive', short: 'a', kind: 'bool' },
    { name: 'follow-link', short: 'L', kind: 'bool' },
    { name: 'quiet', short: 'q', kind: 'bool' },
  ]);
  const [src, dst] = p.rest;
  if (src === undefined || dst === undefined || p.rest.length !== 2)
    throw new ArgvError('"docker cp" requires exactly 2 arguments');
  const side = (a: string) => {
    // A container side is NAME:PATH where NAME is not a path (the CLI's splitCpArg).
    if (a.startsWith('/') || a.startsWith('.')) return undefined;
    const i = a.indexOf(':');
    return i <= 0 ? undefined : { container: a.slice(0, i), path: a.slice(i + 1) };
  };
  const from = side(src);
  const to = side(dst);
  if ((from === undefined) === (to === undefined))
    throw new ArgvError('docker cp: copying between containers, or between two local paths, is not supported');
  const remote = (from ?? to) as { container: string; path: string };
  // Copying in: the CLI asks whether the destination exists; when it does not (the case judged
  // here, the wider one), it extracts into the parent directory.
  const path = from
    ? `/containers/${encodeURIComponent(remote.container)}/archive?path=${encodeURIComponent(remote.path)}`
    : `/containers/${encodeURIComponent(remote.container)}/archive?${new URLSearchParams({
        noOverwriteDirNonDir: 'true',
        path: remote.path.endsWith('/') ? remote.path : posix.dirname(remote.path),
      }).toString()}`;
  return {
    method: from ? 'GET' : 'PUT',
    target: path,
    body: null,
    command: 'docker cp',
    origins: {},
    notes: [],
  };
}

const BUILD_FLAGS: readonly FlagSpec[] = [
  ...[
    'add-host',
    'allow',
    'annotation',
    'attest',
    'build-arg',
    'build-context',
    'cache-from',
    'cache-to',
    'label',
    'output',
    'platform',
    'secret',
    'ssh',
    'tag',
    'ulimit',
    'entitlements',
  ].map((name) => ({
    name,
    kind: 'list' as const,
    ...(name === 'tag' ? { short: 't' } : name === 'output' ? { short: 'o' } : {}),
  })),
  ...[
    'builder',
    'call',
    'cgroup-parent',
    'file',
    'iidfile',
    'isolation',
    'metadata-file',
    'network',
    'progress',
    'provenance',
    'sbom',
    'shm-size',
    'target',
    'memory',
    'memory-swap',
    'cpu-shares',
    'cpuset-cpus',
    'cpuset-mems',
    'cpu-period',
    'cpu-quota',
    'security-opt',
  ].map((name) => ({
    name,
    kind: 'string' as const,
    ...(name === 'file'
      ? { short: 'f' }
      : name === 'memory'
        ? { short: 'm' }
        : name === 'cpu-shares'
          ? { short: 'c' }
          : {}),
  })),
  ...[
    'load',
    'no-cache',
    'pull',
    'push',
    'quiet',
    'rm',
    'force-rm',
    'squash',
    'debug',
    'check',
    'disable-content-trust',
    'compress',
  ].map((name) => ({ name, kind: 'bool' as const, ...(name === 'quiet' ? { short: 'q' } : {}) })),
];

function buildRequest(args: string[], ctx: ArgvContext, buildx: boolean): DockerRequest {
  const p = parseFlags(args, BUILD_FLAGS, true);
  const [contextArg] = p.rest;
  if (contextArg === undefined || p.rest.length !== 1)
    throw new ArgvError('"docker build" requires exactly 1 argument');
  if (contextArg === '-' || /^[a-z]+:\/\//i.test(contextArg) || contextArg.startsWith('git@'))
    throw new Undecidable(`docker build ${contextArg}: a context from stdin or a URL cannot be read beforehand`);
  const contextDir = posix.resolve(ctx.cwd, contextArg);
  const file = last(p, 'file');
  if (file === '-') throw new Undecidable('docker build -f -: a Dockerfile from stdin cannot be read beforehand');
  const dockerfilePath = file === undefined ? posix.join(contextDir, 'Dockerfile') : posix.resolve(ctx.cwd, file);
  const text = ctx.readFile(dockerfilePath);
  const inside = posix.relative(contextDir, dockerfilePath);
  const name = inside.startsWith('..') ? '.dockerfile' : inside;
  const params: [string, string][] = [['dockerfile', name]];
  for (const t of all(p, 'tag')) params.push(['t', t]);
  const buildArgs: Record<string, string | null> = {};
  for (const a of all(p, 'build-arg')) {
    const i = a.indexOf('=');
    if (i >= 0) buildArgs[a.slice(0, i)] = a.slice(i + 1);
    else buildArgs[a] = ctx.env[a] ?? null;
  }
  if (Object.keys(buildArgs).length > 0) params.push(['buildargs', JSON.stringify(buildArgs)]);
  const single: [string, string][] = [
    ['network', 'networkmode'],
    ['target', 'target'],
    ['cgroup-parent', 'cgroupparent'],
    ['isolation', 'isolation'],
    ['platform', 'platform'],
  ];
  for (const [flag, key] of single) {
    const v = last(p, flag);
    if (v) params.push([key, v]);
  }
  if (isSet(p, 'pull')) params.push(['pull', '1']);
  if (isSet(p, 'no-cache')) params.push(['nocache', '1']);
  const labels: Record<string, string> = {};
  for (const l of all(p, 'label')) {
    const i = l.indexOf('=');
    labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
  }
  if (Object.keys(labels).length > 0) params.push(['labels', JSON.stringify(labels)]);
  // BuildKit when asked for (buildx, DOCKER_BUILDKIT=1) or when buildx is installed and
  // DOCKER_BUILDKIT does not say otherwise; else the classic builder.
  const setting = ctx.env.DOCKER_BUILDKIT;
  const buildkit =
    buildx || (setting === undefined || setting === '' ? ctx.buildxInstalled() : /^(1|t|true)$/i.test(setting));
  params.push(['version', buildkit ? '2' : '1']);
  // Go's url.Values.Encode: keys sorted, values in the order given.
  params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const q = new URLSearchParams(params);
  const origins: Record<string, string[]> = {};
  for (const f of ['network', 'cgroup-parent', 'build-arg', 'file']) {
    const w = p.words.get(f);
    if (w) origins[f] = w;
  }
  return {
    method: 'POST',
    target: `/build?${q.toString()}`,
    body: null,
    command: 'docker build',
    origins,
    notes: [],
    dockerfile: { path: name, text },
  };
}

function managementOther(group: string, args: string[], ctx: ArgvContext): DockerRequest[] {
  const [sub, ...rest] = args;
  if (sub === undefined) return [];
  const req = (
    method: string,
    target: string,
    body: unknown,
    origins: Record<string, string[]> = {},
  ): DockerRequest => ({
    method,
    target,
    body,
    command: `docker ${group} ${sub}`,
    origins,
    notes: [],
  });
  if (group === 'volume') {
    if (sub === 'ls' || sub === 'list') return [req('GET', '/volumes', null)];
    if (sub === 'inspect') return operands(rest).map((n) => req('GET', `/volumes/${encodeURIComponent(n)}`, null));
    if (sub === 'rm' || sub === 'remove')
      return operands(rest).map((n) => req('DELETE', `/volumes/${encodeURIComponent(n)}`, null));
    if (sub === 'prune') return [req('POST', '/volumes/prune', null)];
    if (sub === 'create') {
      const p = parseFlags(rest, [
        { name: 'driver', short: 'd', kind: 'string' },
        { name: 'label', kind: 'list' },
        { name: 'opt', short: 'o', kind: 'list' },
        { name: 'name', kind: 'string' },
      ]);
      const opts: Record<string, string> = {};
      for (const o of all(p, 'opt')) {
        const i = o.indexOf('=');
        if (i < 0) throw new ArgvError(`invalid key/value pair format in driver options: ${o}`);
        opts[o.slice(0, i)] = o.slice(i + 1);
      }
      const labels: Record<string, string> = {};
      for (const l of all(p, 'label')) {
        const i = l.indexOf('=');
        labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
      }
      const origins: Record<string, string[]> = {};
      if (p.words.get('opt')) origins.DriverOpts = p.words.get('opt') as string[];
      return [
        req(
          'POST',
          '/volumes/create',
          {
            Driver: last(p, 'driver') ?? 'local',
            DriverOpts: opts,
            Labels: labels,
            Name: last(p, 'name') ?? p.rest[0] ?? '',
          },
          origins,
        ),
      ];
    }
  }
  if (group === 'network') {
    if (sub === 'ls' || sub === 'list') return [req('GET', '/networks', null)];
    if (sub === 'inspect') return operands(rest).map((n) => req('GET', `/networks/${encodeURIComponent(n)}`, null));
    if (sub === 'rm' || sub === 'remove')
      return operands(rest).map((n) => req('DELETE', `/networks/${encodeURIComponent(n)}`, null));
    if (sub === 'prune') return [req('POST', '/networks/prune', null)];
    if (sub === 'create') return [networkCreate(rest, req)];
    if (sub === 'connect' || sub === 'disconnect') {
      const o = operands(rest);
      return [req('POST', `/networks/${encodeURIComponent(o[0] ?? '')}/${sub}`, { Container: o[1] ?? '' })];
    }
  }
  if (group === 'plugin') {
    if (sub === 'ls' || sub === 'list') return [req('GET', '/plugins', null)];
    if (sub === 'install') {
      const p = parseFlags(rest, [
        { name: 'alias', kind: 'string' },
        { name: 'disable', kind: 'bool' },
        { name: 'disable-content-trust', kind: 'bool' },
        { name: 'grant-all-permissions', kind: 'bool' },
      ]);
      const [remote, ...settings] = p.rest;
      if (remote === undefined) throw new ArgvError('"docker plugin install" requires at least 1 argument');
      const q = new URLSearchParams({ remote });
      const alias = last(p, 'alias');
      if (alias) q.set('name', alias);
      const notes = [
        'the CLI first asks the daemon which privileges the plugin wants (GET /plugins/privileges) and sends them back as the body',
      ];
      if (settings.length > 0) notes.push(`then sets ${settings.join(' ')}`);
      return [
        { ...req('GET', `/plugins/privileges?${new URLSearchParams({ remote }).toString()}`, null) },
        { ...req('POST', `/plugins/pull?${q.toString()}`, null), notes },
      ];
    }
    if (sub === 'enable' || sub === 'disable')
      return operands(rest).map((n) => req('POST', `/plugins/${encodeURIComponent(n)}/${sub}`, null));
    if (sub === 'rm' || sub === 'remove')
      return operands(rest).map((n) => req('DELETE', `/plugins/${encodeURIComponent(n)}`, null));
  }
  if (group === 'buildx' || group === 'builder') return buildxOther(group, args, ctx);
  throw new Undecidable(`docker ${group} ${sub}: a command the guard does not translate`);
}

function buildxOther(group: string, args: string[], _ctx: ArgvContext): DockerRequest[] {
  throw new Undecidable(`docker ${group} ${args[0] ?? ''}: a command the guard does not translate`);
}

function networkCreate(
  rest: string[],
  req: (m: string, t: string, b: unknown, o?: Record<string, string[]>) => DockerRequest,
): DockerRequest {
  const p = parseFlags(rest, [
    { name: 'attachable', kind: 'bool' },
    { name: 'aux-address', kind: 'list' },
    { name: 'config-from', kind: 'string' },
    { name: 'config-only', kind: 'bool' },
    { name: 'driver', short: 'd', kind: 'string' },
    { name: 'gateway', kind: 'list' },
    { name: 'ingress', kind: 'bool' },
    { name: 'internal', kind: 'bool' },
    { name: 'ip-range', kind: 'list' },
    { name: 'ipam-driver', kind: 'string' },
    { name: 'ipam-opt', kind: 'list' },
    { name: 'ipv4', kind: 'bool' },
    { name: 'ipv6', kind: 'bool' },
    { name: 'label', kind: 'list' },
    { name: 'opt', short: 'o', kind: 'list' },
    { name: 'scope', kind: 'string' },
    { name: 'subnet', kind: 'list' },
  ]);
  const [name] = p.rest;
  if (name === undefined) throw new ArgvError('"docker network create" requires exactly 1 argument');
  const kv = (list: string[]) => {
    const out: Record<string, string> = {};
    for (const x of list) {
      const i = x.indexOf('=');
      out[i < 0 ? x : x.slice(0, i)] = i < 0 ? '' : x.slice(i + 1);
    }
    return out;
  };
  const subnets = all(p, 'subnet');
  const config = subnets.map((s, i) => ({
    Subnet: s,
    ...(all(p, 'ip-range')[i] ? { IPRange: all(p, 'ip-range')[i] } : {}),
    ...(all(p, 'gateway')[i] ? { Gateway: all(p, 'gateway')[i] } : {}),
  }));
  const origins: Record<string, string[]> = {};
  if (p.words.get('opt')) origins.Options = p.words.get('opt') as string[];
  if (p.words.get('driver')) origins.Driver = p.words.get('driver') as string[];
  return req(
    'POST',
    '/networks/create',
    {
      Name: name,
      Driver: last(p, 'driver') ?? 'bridge',
      Scope: last(p, 'scope') ?? '',
      EnableIPv6: isSet(p, 'ipv6') ? true : undefined,
      IPAM: { Driver: last(p, 'ipam-driver') ?? 'default', Options: kv(all(p, 'ipam-opt')), Config: config },
      Internal: isSet(p, 'internal'),
      Attachable: isSet(p, 'attachable'),
      Ingress: isSet(p, 'ingress'),
      ConfigOnly: isSet(p, 'config-only'),
      Options: kv(all(p, 'opt')),
      Labels: kv(all(p, 'label')),
    },
    origins,
  );
}
