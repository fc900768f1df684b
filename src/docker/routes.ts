// The Engine API as one table: each route's method and pattern, the action it is, and what
// judging it takes (its body, its mounts, the container it names, a spooled build context), and
// whether the daemon may turn its connection into a raw stream. The resource kind of a route is
// the first word of its action. Every other module asks this table; none lists routes itself.
//
// Routes are listed in the order dockerd's routers register them (checkpoint, container,
// image, system, volume, build, session, swarm, plugin, distribution, grpc, network), because
// gorilla/mux takes the first pattern that matches: `DELETE /containers/{name:.*}` would
// otherwise swallow `DELETE /containers/x/checkpoints/y`. `{x}` matches one segment, `{x:.*}`
// any text including slashes (as in moby), `{x:.+}` at least one character.
import {
  containerConfig,
  containerCreateBody,
  containerUpdateBody,
  execCreateBody,
  execStartBody,
  hostConfig,
  networkConnectBody,
  networkCreateBody,
  pluginPrivilegesBody,
  pluginSetBody,
  volumeCreateBody,
  type Shape,
} from './body-schema.js';
import { parseApiPath, type ApiPath } from './api-path.js';

/** What judging a route takes, beyond its head. */
export interface RouteTraits {
  /** The JSON body a policy reads: read whole (up to the judged-body limit) as Go reads this shape. */
  readonly body?: Shape;
  /**
   * The request mounts host paths or named volumes, resolved and looked up before judging: a
   * container's binds, mounts and volumes, or a `local` volume's device options.
   */
  readonly mounts?: 'container' | 'volume';
  /** Judged with the container it names, as the daemon describes it (`input.target`). */
  readonly target?: true;
  /** The body is a build context, spooled to disk while the Dockerfile in it is found. */
  readonly spool?: true;
  /** The daemon may turn the connection into a raw stream (attach, exec start, BuildKit's h2c). */
  readonly hijack?: true;
  /** The query parameter that names the object, when the path does not. */
  readonly refQuery?: string;
  /**
   * The kind of the existing object the request names (by path or refQuery): with tenancy on,
   * only its owner (or an admin) may reach it; to anyone else it does not exist.
   */
  readonly names?: OwnedKind;
  /**
   * A list, prune or event stream: with tenancy on, a caller sees only their own objects, by an
   * owner filter added to the query (`filter`), or by an answer dockgate assembles from the
   * daemon's full one (`answer`, where dockerd cannot filter as needed).
   */
  readonly listing?: 'filter' | 'answer';
}

/** Kinds of objects that have an owner. */
export type OwnedKind = 'container' | 'exec' | 'volume' | 'network' | 'image';

type RouteRow = readonly [method: string, pattern: string, action: string, traits?: RouteTraits];

const ROWS = [
  // checkpoint router (before container: see above)
  ['GET', '/containers/{name:.*}/checkpoints', 'container.checkpoint.list', { names: 'container' }],
  ['POST', '/containers/{name:.*}/checkpoints', 'container.checkpoint.create', { names: 'container' }],
  ['DELETE', '/containers/{name}/checkpoints/{checkpoint}', 'container.checkpoint.delete', { names: 'container' }],
  // container router
  ['HEAD', '/containers/{name:.*}/archive', 'container.archive.head', { target: true, names: 'container' }],
  ['GET', '/containers/json', 'container.list', { listing: 'filter' }],
  ['GET', '/containers/{name:.*}/export', 'container.export', { names: 'container' }],
  ['GET', '/containers/{name:.*}/changes', 'container.changes', { names: 'container' }],
  ['GET', '/containers/{name:.*}/json', 'container.inspect', { names: 'container' }],
  ['GET', '/containers/{name:.*}/top', 'container.top', { names: 'container' }],
  ['GET', '/containers/{name:.*}/logs', 'container.logs', { names: 'container' }],
  ['GET', '/containers/{name:.*}/stats', 'container.stats', { names: 'container' }],
  ['GET', '/containers/{name:.*}/attach/ws', 'container.attach', { names: 'container' }],
  ['GET', '/exec/{id:.*}/json', 'exec.inspect', { names: 'exec' }],
  ['GET', '/containers/{name:.*}/archive', 'container.archive.get', { target: true, names: 'container' }],
  [
    'POST',
    '/containers/create',
    'container.create',
    { body: containerCreateBody, mounts: 'container', refQuery: 'name' },
  ],
  ['POST', '/containers/{name:.*}/kill', 'container.kill', { names: 'container' }],
  ['POST', '/containers/{name:.*}/pause', 'container.pause', { names: 'container' }],
  ['POST', '/containers/{name:.*}/unpause', 'container.unpause', { names: 'container' }],
  ['POST', '/containers/{name:.*}/restart', 'container.restart', { names: 'container' }],
  // API < 1.24 applies a start body as the container's HostConfig.
  ['POST', '/containers/{name:.*}/start', 'container.start', { body: hostConfig, names: 'container' }],
  ['POST', '/containers/{name:.*}/stop', 'container.stop', { names: 'container' }],
  ['POST', '/containers/{name:.*}/wait', 'container.wait', { names: 'container' }],
  ['POST', '/containers/{name:.*}/resize', 'container.resize', { names: 'container' }],
  ['POST', '/containers/{name:.*}/attach', 'container.attach', { hijack: true, names: 'container' }],
  ['POST', '/containers/{name:.*}/copy', 'container.copy', { target: true, names: 'container' }],
  [
    'POST',
    '/containers/{name:.*}/exec',
    'container.exec.create',
    { body: execCreateBody, target: true, names: 'container' },
  ],
  ['POST', '/exec/{name:.*}/start', 'exec.start', { body: execStartBody, hijack: true, names: 'exec' }],
  ['POST', '/exec/{name:.*}/resize', 'exec.resize', { names: 'exec' }],
  ['POST', '/containers/{name:.*}/rename', 'container.rename', { names: 'container' }],
  ['POST', '/containers/{name:.*}/update', 'container.update', { body: containerUpdateBody, names: 'container' }],
  ['POST', '/containers/prune', 'container.prune', { listing: 'filter' }],
  ['POST', '/commit', 'container.commit', { body: containerConfig, refQuery: 'container', names: 'container' }],
  ['PUT', '/containers/{name:.*}/archive', 'container.archive.put', { target: true, names: 'container' }],
  ['DELETE', '/containers/{name:.*}', 'container.delete', { names: 'container' }],
  // image router
  ['GET', '/images/json', 'image.list', { listing: 'answer' }],
  ['GET', '/images/search', 'image.search'],
  ['GET', '/images/get', 'image.save'],
  ['GET', '/images/{name:.*}/get', 'image.save', { names: 'image' }],
  ['GET', '/images/{name:.*}/history', 'image.history', { names: 'image' }],
  ['GET', '/images/{name:.*}/json', 'image.inspect', { names: 'image' }],
  ['POST', '/images/load', 'image.load'],
  ['POST', '/images/create', 'image.create'], // refined to image.pull / image.import by query
  ['POST', '/images/{name:.*}/push', 'image.push', { names: 'image' }],
  ['POST', '/images/{name:.*}/tag', 'image.tag', { names: 'image' }],
  ['POST', '/images/prune', 'image.prune', { listing: 'filter' }],
  ['DELETE', '/images/{name:.*}', 'image.delete', { names: 'image' }],
  // system router
  ['OPTIONS', '/{anyroute:.*}', 'system.options'],
  ['GET', '/_ping', 'system.ping'],
  ['HEAD', '/_ping', 'system.ping'],
  ['GET', '/events', 'system.events', { listing: 'filter' }],
  ['GET', '/info', 'system.info'],
  ['GET', '/version', 'system.version'],
  ['GET', '/system/df', 'system.df', { listing: 'answer' }],
  ['POST', '/auth', 'system.auth'],
  // volume router
  ['GET', '/volumes', 'volume.list', { listing: 'filter' }],
  ['GET', '/volumes/{name:.*}', 'volume.inspect', { names: 'volume' }],
  ['POST', '/volumes/create', 'volume.create', { body: volumeCreateBody, mounts: 'volume' }],
  ['POST', '/volumes/prune', 'volume.prune', { listing: 'filter' }],
  ['PUT', '/volumes/{name:.*}', 'volume.update', { names: 'volume' }],
  ['DELETE', '/volumes/{name:.*}', 'volume.delete', { names: 'volume' }],
  // build router
  ['POST', '/build', 'image.build', { spool: true, refQuery: 't' }],
  ['POST', '/build/prune', 'build.prune'],
  ['POST', '/build/cancel', 'build.cancel'],
  // session router (BuildKit, upgrades to h2c)
  ['POST', '/session', 'session.open', { hijack: true }],
  // swarm router
  ['GET', '/swarm', 'swarm.inspect'],
  ['GET', '/swarm/unlockkey', 'swarm.unlockkey'],
  ['POST', '/swarm/init', 'swarm.init'],
  ['POST', '/swarm/join', 'swarm.join'],
  ['POST', '/swarm/leave', 'swarm.leave'],
  ['POST', '/swarm/update', 'swarm.update'],
  ['POST', '/swarm/unlock', 'swarm.unlock'],
  ['GET', '/services', 'service.list'],
  ['GET', '/services/{id}', 'service.inspect'],
  ['POST', '/services/create', 'service.create'],
  ['POST', '/services/{id}/update', 'service.update'],
  ['DELETE', '/services/{id}', 'service.delete'],
  ['GET', '/services/{id}/logs', 'service.logs'],
  ['GET', '/nodes', 'node.list'],
  ['GET', '/nodes/{id}', 'node.inspect'],
  ['DELETE', '/nodes/{id}', 'node.delete'],
  ['POST', '/nodes/{id}/update', 'node.update'],
  ['GET', '/tasks', 'task.list'],
  ['GET', '/tasks/{id}', 'task.inspect'],
  ['GET', '/tasks/{id}/logs', 'task.logs'],
  ['GET', '/secrets', 'secret.list'],
  ['POST', '/secrets/create', 'secret.create'],
  ['DELETE', '/secrets/{id}', 'secret.delete'],
  ['GET', '/secrets/{id}', 'secret.inspect'],
  ['POST', '/secrets/{id}/update', 'secret.update'],
  ['GET', '/configs', 'config.list'],
  ['POST', '/configs/create', 'config.create'],
  ['DELETE', '/configs/{id}', 'config.delete'],
  ['GET', '/configs/{id}', 'config.inspect'],
  ['POST', '/configs/{id}/update', 'config.update'],
  // plugin router
  ['GET', '/plugins/{name:.*}/json', 'plugin.inspect'],
  ['GET', '/plugins/privileges', 'plugin.privileges'],
  ['GET', '/plugins', 'plugin.list'],
  ['DELETE', '/plugins/{name:.*}', 'plugin.delete'],
  ['POST', '/plugins/{name:.*}/enable', 'plugin.enable'],
  ['POST', '/plugins/{name:.*}/disable', 'plugin.disable'],
  ['POST', '/plugins/pull', 'plugin.install', { body: pluginPrivilegesBody, refQuery: 'remote' }],
  ['POST', '/plugins/{name:.*}/push', 'plugin.push'],
  ['POST', '/plugins/{name:.*}/upgrade', 'plugin.upgrade', { body: pluginPrivilegesBody }],
  ['POST', '/plugins/{name:.*}/set', 'plugin.set', { body: pluginSetBody }],
  ['POST', '/plugins/create', 'plugin.create'],
  // distribution router
  ['GET', '/distribution/{name:.*}/json', 'distribution.inspect'],
  // grpc router (BuildKit, upgrades to h2c)
  ['POST', '/grpc', 'grpc.open', { hijack: true }],
  // network router
  ['GET', '/networks', 'network.list', { listing: 'answer' }],
  ['GET', '/networks/', 'network.list', { listing: 'answer' }],
  ['GET', '/networks/{id:.+}', 'network.inspect', { names: 'network' }],
  ['POST', '/networks/create', 'network.create', { body: networkCreateBody }],
  ['POST', '/networks/{id:.*}/connect', 'network.connect', { body: networkConnectBody, names: 'network' }],
  ['POST', '/networks/{id:.*}/disconnect', 'network.disconnect', { body: networkConnectBody, names: 'network' }],
  ['POST', '/networks/prune', 'network.prune', { listing: 'filter' }],
  ['DELETE', '/networks/{id:.*}', 'network.delete', { names: 'network' }],
] as const satisfies readonly RouteRow[];

/**
 * Every action a request can be: the table's, with POST /images/create named by its query
 * (image.pull or image.import), and "unknown" for what no route matches.
 */
export type Action = Exclude<(typeof ROWS)[number][2], 'image.create'> | 'image.pull' | 'image.import' | 'unknown';

export interface Route extends RouteTraits {
  method: string;
  pattern: string;
  action: Action | 'image.create';
  /** Resource kind of the object the request acts on. */
  kind: string;
}

export interface RouteMatch {
  action: Action;
  resource: { type: string; ref: string | null };
  /** Path variables, e.g. { name: "web" }. */
  vars: Record<string, string>;
  /** What judging it takes (none for "unknown"). */
  traits: RouteTraits;
}

interface CompiledRoute {
  method: string;
  pattern: string;
  regex: RegExp;
  varNames: string[];
  action: Action | 'image.create';
  type: string;
  traits: RouteTraits;
}

const NO_TRAITS: RouteTraits = Object.freeze({});

function compileRoute([method, pattern, action, traits]: (typeof ROWS)[number]): CompiledRoute {
  const varNames: string[] = [];
  let source = '';
  let last = 0;
  for (const m of pattern.matchAll(/\{([a-z]+)(?::([^}]+))?\}/g)) {
    source += escapeRegex(pattern.slice(last, m.index));
    varNames.push(m[1]!);
    source += `(${m[2] ?? '[^/]+'})`;
    last = m.index + m[0].length;
  }
  source += escapeRegex(pattern.slice(last));
  return {
    method,
    pattern,
    regex: new RegExp(`^${source}$`, 's'),
    varNames,
    action,
    type: action.slice(0, action.indexOf('.')),
    traits: traits ?? NO_TRAITS,
  };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const ROUTES: CompiledRoute[] = ROWS.map(compileRoute);
// Fast path: most routes start with a literal segment; index candidates by it, keeping
// registration order and the routes that start with a variable (OPTIONS /{anyroute:.*}).
const WILDCARD_ROUTES = ROUTES.filter((r) => firstLiteralSegment(r) === undefined);
const BY_FIRST_SEGMENT = new Map<string, CompiledRoute[]>();
for (const seg of new Set(ROUTES.map(firstLiteralSegment))) {
  if (seg === undefined) continue;
  BY_FIRST_SEGMENT.set(
    seg,
    ROUTES.filter((r) => [seg, undefined].includes(firstLiteralSegment(r))),
  );
}

function firstLiteralSegment(r: CompiledRoute): string | undefined {
  return /^\/([a-z_]+)/.exec(r.pattern)?.[1];
}

/** Every route, for documentation and tests. */
export const routeTable: readonly Route[] = ROUTES.map((r) => ({
  method: r.method,
  pattern: r.pattern,
  action: r.action,
  kind: r.type,
  ...r.traits,
}));

const UNKNOWN: Omit<RouteMatch, 'vars'> = {
  action: 'unknown',
  resource: { type: 'unknown', ref: null },
  traits: NO_TRAITS,
};

/**
 * Matches a decoded, version-less path. Returns action "unknown" when no route matches
 * (dockerd would answer 404 or 405), which the built-in policy denies.
 */
export function matchRoute(method: string, path: string, query: Record<string, string> = {}): RouteMatch {
  const slash = path.indexOf('/', 1);
  const first = path.slice(1, slash < 0 ? path.length : slash);
  for (const r of BY_FIRST_SEGMENT.get(first) ?? WILDCARD_ROUTES) {
    if (r.method !== method) continue;
    const m = r.regex.exec(path);
    if (!m) continue;
    const vars: Record<string, string> = {};
    r.varNames.forEach((n, i) => {
      vars[n] = m[i + 1]!;
    });
    return named(r, vars, query);
  }
  return { ...UNKNOWN, resource: { ...UNKNOWN.resource }, vars: {} };
}

/** Names the object (by path variable or query) and the action of POST /images/create (by query). */
function named(r: CompiledRoute, vars: Record<string, string>, query: Record<string, string>): RouteMatch {
  let action = r.action;
  const { refQuery } = r.traits;
  let ref: string | null =
    refQuery !== undefined
      ? (query[refQuery] ?? null)
      : r.varNames.length > 0 && r.varNames[0] !== 'anyroute'
        ? vars[r.varNames[0]!]!
        : null;
  if (action === 'image.create') {
    // POST /images/create pulls with fromImage, imports with fromSrc (dockerd checks fromImage first).
    if (query.fromImage) {
      action = 'image.pull';
      ref = query.tag ? `${query.fromImage}:${query.tag}` : query.fromImage;
    } else {
      action = 'image.import';
      ref = query.repo ?? null;
    }
  }
  return { action, resource: { type: r.type, ref }, vars, traits: r.traits };
}

/**
 * The last path segment of every route the daemon may hijack, from the table: a POST whose path
 * (without escapes) ends in none of them is answered as plain HTTP, without routing it.
 */
const HIJACK_LAST_SEGMENTS: ReadonlySet<string> = new Set(
  ROUTES.filter((r) => r.traits.hijack).map((r) => {
    const last = r.pattern.slice(r.pattern.lastIndexOf('/') + 1);
    if (last.includes('{')) throw new Error(`hijacking route ${r.pattern} must end in a literal segment`);
    return last;
  }),
);

/**
 * Whether the daemon may hijack the connection of this request: any request asking to upgrade,
 * and the routes whose row says so. After such a request the client's next bytes may be stream
 * data rather than HTTP, so the proxy must not parse them before it has seen the daemon's
 * answer. A target dockgate cannot route is refused, never forwarded, so it hijacks nothing.
 */
export function mayHijack(method: string, target: string, upgrade: boolean): boolean {
  if (upgrade) return true;
  if (method !== 'POST') return false; // every hijacking route is a POST
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  if (!rawPath.includes('%') && !HIJACK_LAST_SEGMENTS.has(rawPath.slice(rawPath.lastIndexOf('/') + 1))) return false;
  let apiPath: ApiPath;
  try {
    apiPath = parseApiPath(target);
  } catch {
    return false;
  }
  return matchRoute(method, apiPath.path, apiPath.query).traits.hijack === true;
}
