// The policy input document (DESIGN "The policy input document"): opa-docker-authz's fields,
// so its users' policies keep working, plus dockgate's own lower-case fields.
import type { Identity } from '../tenancy/index.js';
import type { ApiPath } from './api-path.js';
import type { BindMount, NamedVolumeUse } from './bind-mounts.js';
import type { ParsedDockerfile } from './dockerfile.js';
import type { RouteMatch } from './routes.js';

/** The caller as the input document shows it: who they are, and what the policy config makes of them. */
export interface InputIdentity extends Identity {
  /** In the config's [identity] admins or admin_groups: derived only in policy/identity.ts. */
  admin: boolean;
  /** Home directory from the user database ("" when unknown). */
  home: string;
}

export interface InputTarget {
  type: string;
  id: string;
  name: string;
  /** Its owner label (null: none, or tenancy is off). */
  owner: string | null;
  /** Owned by the caller (false when tenancy is off). */
  mine: boolean;
  labels: Record<string, string>;
  /** The user the container's processes run as (Config.User; "" is the image's). */
  user: string;
  /** The container mounts a host path (see describeContainer in target.ts). */
  host_mounts: boolean;
}

export interface InputFacts {
  layer: 'proxy' | 'plugin' | 'cli';
  method: string;
  /** Request target as sent: path and query. */
  target: string;
  /** Header names → first value. Names are put in Go's canonical form, as dockerd hands them to plugins. */
  headers: Record<string, string>;
  /** Parsed (canonical) JSON body, or null. */
  body: unknown;
  identity: InputIdentity;
  apiPath: ApiPath;
  route: RouteMatch;
  bindMounts: BindMount[];
  /** Named volumes a container create mounts, with their drivers. */
  volumes?: NamedVolumeUse[];
  /** Build requests: the Dockerfile found in the context. */
  dockerfile?: ParsedDockerfile & { path: string };
  /** The object the request acts on, looked up live. */
  targetObject?: InputTarget | null;
  /** The containers a create joins or links to (volumes-from, container:X modes, links), looked up live. */
  references?: InputReference[];
}

/** A container that a request's body names, and the field that names it. */
export interface InputReference extends InputTarget {
  field: string;
  ref: string;
}

export function buildInput(f: InputFacts): Record<string, unknown> {
  const plainPath = f.target.split('?', 1)[0]!;
  const input: Record<string, unknown> = {
    // opa-docker-authz
    Method: f.method,
    Path: f.target,
    PathPlain: plainPath,
    PathArr: plainPath.split('/'),
    Query: f.apiPath.queryAll,
    Headers: canonicalHeaders(f.headers),
    Body: f.body ?? null,
    User: f.identity.user,
    AuthMethod: f.identity.via === 'tls' ? 'TLS' : '',
    BindMounts: f.bindMounts,
    // dockgate
    layer: f.layer,
    identity: f.identity,
    request: {
      version: f.apiPath.version,
      path: f.apiPath.path,
      query: f.apiPath.query,
      action: f.route.action,
      resource: f.route.resource,
      volumes: f.volumes ?? [],
      references: f.references ?? [],
    },
    target: f.targetObject ?? null,
  };
  if (f.dockerfile) {
    input.dockerfile = f.dockerfile.lines;
    input.Dockerfile = f.dockerfile.lines;
    input.build = {
      dockerfile_path: f.dockerfile.path,
      instructions: f.dockerfile.instructions,
      directives: f.dockerfile.directives,
    };
  }
  return input;
}

function canonicalHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in h) {
    const name = canonicalHeaderName(k);
    if (!(name in out)) out[name] = h[k]!;
  }
  return out;
}

// Header names repeat across requests: remember their canonical form (bounded).
const canonicalNames = new Map<string, string>();

/** Go's CanonicalMIMEHeaderKey: "content-type" → "Content-Type". */
export function canonicalHeaderName(name: string): string {
  let c = canonicalNames.get(name);
  if (c === undefined) {
    // Go leaves names with bytes other than letters, digits and '-' untouched.
    c = /^[A-Za-z0-9-]+$/.test(name)
      ? name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, ch: string) => dash + ch.toUpperCase())
      : name;
    if (canonicalNames.size >= 1024) canonicalNames.clear();
    canonicalNames.set(name, c);
  }
  return c;
}
