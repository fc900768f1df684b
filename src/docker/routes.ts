// The Engine API route table: which action a request is and which object it names.
//
// Routes are listed in the order dockerd's routers register them (checkpoint, container,
// image, system, volume, build, session, swarm, plugin, distribution, grpc, network), because
// gorilla/mux takes the first pattern that matches: `DELETE /containers/{name:.*}` would
// otherwise swallow `DELETE /containers/x/checkpoints/y`. `{x}` matches one segment, `{x:.*}`
// any text including slashes (as in moby), `{x:.+}` at least one character.

export interface Route {
  method: string;
  pattern: string;
  action: string;
  /** Resource type of the object the request acts on. */
  type: string;
  /** Name of the path variable that names the object, when there is one. */
  refVar?: string;
}

export interface RouteMatch {
  action: string;
  resource: { type: string; ref: string | null };
  /** Path variables, e.g. { name: "web" }. */
  vars: Record<string, string>;
}

type RouteSpec = [method: string, pattern: string, action: string];

// Resource type is the first word of the action; the object is named by the first path variable.
const SPECS: RouteSpec[] = [
  // checkpoint router (before container: see above)
  ['GET', '/containers/{name:.*}/checkpoints', 'container.checkpoint.list'],
  ['POST', '/containers/{name:.*}/checkpoints', 'container.checkpoint.create'],
  ['DELETE', '/containers/{name}/checkpoints/{checkpoint}', 'container.checkpoint.delete'],
  // container router
  ['HEAD', '/containers/{name:.*}/archive', 'container.archive.head'],
  ['GET', '/containers/json', 'container.list'],
  ['GET', '/containers/{name:.*}/export', 'container.export'],
  ['GET', '/containers/{name:.*}/changes', 'container.changes'],
  ['GET', '/containers/{name:.*}/json', 'container.inspect'],
  ['GET', '/containers/{name:.*}/top', 'container.top'],
  ['GET', '/containers/{name:.*}/logs', 'container.logs'],
  ['GET', '/containers/{name:.*}/stats', 'container.stats'],
  ['GET', '/containers/{name:.*}/attach/ws', 'container.attach'],
  ['GET', '/exec/{id:.*}/json', 'exec.inspect'],
  ['GET', '/containers/{name:.*}/archive', 'container.archive.get'],
  ['POST', '/containers/create', 'container.create'],
  ['POST', '/containers/{name:.*}/kill', 'container.kill'],
  ['POST', '/containers/{name:.*}/pause', 'container.pause'],
  ['POST', '/containers/{name:.*}/unpause', 'container.unpause'],
  ['POST', '/containers/{name:.*}/restart', 'container.restart'],
  ['POST', '/containers/{name:.*}/start', 'container.start'],
  ['POST', '/containers/{name:.*}/stop', 'container.stop'],
  ['POST', '/containers/{name:.*}/wait', 'container.wait'],
  ['POST', '/containers/{name:.*}/resize', 'container.resize'],
  ['POST', '/containers/{name:.*}/attach', 'container.attach'],
  ['POST', '/containers/{name:.*}/copy', 'container.copy'],
  ['POST', '/containers/{name:.*}/exec', 'container.exec.create'],
  ['POST', '/exec/{name:.*}/start', 'exec.start'],
  ['POST', '/exec/{name:.*}/resize', 'exec.resize'],
  ['POST', '/containers/{name:.*}/rename', 'container.rename'],
  ['POST', '/containers/{name:.*}/update', 'container.update'],
  ['POST', '/containers/prune', 'container.prune'],
  ['POST', '/commit', 'container.commit'],
  ['PUT', '/containers/{name:.*}/archive', 'container.archive.put'],
  ['DELETE', '/containers/{name:.*}', 'container.delete'],
  // image router
  ['GET', '/images/json', 'image.list'],
  ['GET', '/images/search', 'image.search'],
  ['GET', '/images/get', 'image.save'],
  ['GET', '/images/{name:.*}/get', 'image.save'],
  ['GET', '/images/{name:.*}/history', 'image.history'],
  ['GET', '/images/{name:.*}/json', 'image.inspect'],
  ['POST', '/images/load', 'image.load'],
  ['POST', '/images/create', 'image.create'], // refined to image.pull / image.import by query
  ['POST', '/images/{name:.*}/push', 'image.push'],
  ['POST', '/images/{name:.*}/tag', 'image.tag'],
  ['POST', '/images/prune', 'image.prune'],
  ['DELETE', '/images/{name:.*}', 'image.delete'],
  // system router
  ['OPTIONS', '/{anyroute:.*}', 'system.options'],
  ['GET', '/_ping', 'system.ping'],
  ['HEAD', '/_ping', 'system.ping'],
  ['GET', '/events', 'system.events'],
  ['GET', '/info', 'system.info'],
  ['GET', '/version', 'system.version'],
  ['GET', '/system/df', 'system.df'],
  ['POST', '/auth', 'system.auth'],
  // volume router
  ['GET', '/volumes', 'volume.list'],
  ['GET', '/volumes/{name:.*}', 'volume.inspect'],
  ['POST', '/volumes/create', 'volume.create'],
  ['POST', '/volumes/prune', 'volume.prune'],
  ['PUT', '/volumes/{name:.*}', 'volume.update'],
  ['DELETE', '/volumes/{name:.*}', 'volume.delete'],
  // build router
  ['POST', '/build', 'image.build'],
  ['POST', '/build/prune', 'build.prune'],
  ['POST', '/build/cancel', 'build.cancel'],
  // session router (BuildKit, upgrades to h2c)
  ['POST', '/session', 'session.open'],
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
  ['POST', '/plugins/pull', 'plugin.install'],
  ['POST', '/plugins/{name:.*}/push', 'plugin.push'],
  ['POST', '/plugins/{name:.*}/upgrade', 'plugin.upgrade'],
  ['POST', '/plugins/{name:.*}/set', 'plugin.set'],
  ['POST', '/plugins/create', 'plugin.create'],
  // distribution router
  ['GET', '/distribution/{name:.*}/json', 'distribution.inspect'],
  // grpc router (BuildKit, upgrades to h2c)
  ['POST', '/grpc', 'grpc.open'],
  // network router
  ['GET', '/networks', 'network.list'],
  ['GET', '/networks/', 'network.list'],
  ['GET', '/networks/{id:.+}', 'network.inspect'],
  ['POST', '/networks/create', 'network.create'],
  ['POST', '/networks/{id:.*}/connect', 'network.connect'],
  ['POST', '/networks/{id:.*}/disconnect', 'network.disconnect'],
  ['POST', '/networks/prune', 'network.prune'],
  ['DELETE', '/networks/{id:.*}', 'network.delete'],
];

interface CompiledRoute {
  method: string;
  pattern: string;
  regex: RegExp;
  varNames: string[];
  action: string;
  type: string;
}

function compileRoute([method, pattern, action]: RouteSpec): CompiledRoute {
  const varNames: string[] = [];
  let source = '';
  let last = 0;
  for (const m of pattern.matchAll(/\{([a-z]+)(?::([^}]+))?\}/g)) {
    source += escapeRegex(pattern.slice(last, m.index));
    varNames.push(m[1]!);
    source += `(${m[2] ?? '[^/]+'})`;
    last = m.index! + m[0].length;
  }
  source += escapeRegex(pattern.slice(last));
  return {
    method,
    pattern,
    regex: new RegExp(`^${source}$`, 's'),
    varNames,
    action,
    type: action.slice(0, action.indexOf('.')),
  };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const ROUTES: CompiledRoute[] = SPECS.map(compileRoute);
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
export const routeTable: readonly Route[] = SPECS.map(([method, pattern, action]) => ({
  method,
  pattern,
  action,
  type: action.slice(0, action.indexOf('.')),
}));

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
    r.varNames.forEach((n, i) => (vars[n] = m[i + 1]!));
    return refine(r, vars, query);
  }
  return { action: 'unknown', resource: { type: 'unknown', ref: null }, vars: {} };
}

/** Names the object and refines actions whose meaning depends on the query. */
function refine(r: CompiledRoute, vars: Record<string, string>, query: Record<string, string>): RouteMatch {
  let action = r.action;
  let ref: string | null = r.varNames.length > 0 && r.varNames[0] !== 'anyroute' ? vars[r.varNames[0]!]! : null;
  switch (action) {
    case 'image.create':
      // POST /images/create pulls with fromImage, imports with fromSrc (dockerd checks fromImage first).
      if (query.fromImage) {
        action = 'image.pull';
        ref = query.tag ? `${query.fromImage}:${query.tag}` : query.fromImage;
      } else {
        action = 'image.import';
        ref = query.repo ?? null;
      }
      break;
    case 'container.create':
      ref = query.name ?? null;
      break;
    case 'image.build':
      ref = query.t ?? null;
      break;
    case 'container.commit':
      ref = query.container ?? null;
      break;
    case 'plugin.install':
      ref = query.remote ?? null;
      break;
  }
  return { action, resource: { type: r.type, ref }, vars };
}
