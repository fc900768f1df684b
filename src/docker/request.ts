// One Engine API request, read the way dockerd will read it, turned into the policy input
// document. Shared by every enforcement point: they differ in how requests arrive, not in
// what a request means.
import { parseApiPath, type ApiPath } from './api-path.js';
import {
  listMounts,
  localVolumeHostPaths,
  resolveHostPath,
  type BindMount,
  type NamedVolumeUse,
  type VolumeLookup,
} from './bind-mounts.js';
import { canonicalizeBody, type DaemonReading } from './canonical-body.js';
import type { ParsedDockerfile } from './dockerfile.js';
import { Refusal } from './refusal.js';
import { buildInput, type InputIdentity, type InputTarget } from './input.js';
import type { ContainerLookup } from './target.js';
import { matchRoute, type RouteMatch, type RouteTraits } from './routes.js';

/** Largest body read for judging by default (DESIGN: 2 MiB; over it → 413). */
export const DEFAULT_MAX_JUDGED_BODY = 2 * 1024 * 1024;

/** The head of an Engine API request: what routing it needs. */
export interface ApiRequestHead {
  method: string;
  /** Path and query as sent. */
  target: string;
}

/** What must be known before reading the body: the route, and whether its body is judged. */
export interface RoutedRequest {
  apiPath: ApiPath;
  route: RouteMatch;
  /** The body is JSON that a policy reads (read it whole, up to the limit). */
  judgedBody: boolean;
  /** A build: the context carries a Dockerfile to judge. */
  build: boolean;
}

/** Routes a request head. Throws Refusal for targets dockerd could read differently. */
export function routeRequest(head: ApiRequestHead): RoutedRequest {
  const apiPath = parseApiPath(head.target);
  const route = matchRoute(head.method, apiPath.path, apiPath.query);
  return { apiPath, route, judgedBody: route.traits.body !== undefined, build: route.traits.spool === true };
}

/** Methods whose body Go's ParseForm reads when it is form-encoded. */
const FORM_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/**
 * A form-encoded body is read by dockerd (Go's ParseForm) as parameters that come before the
 * query's own, so it would change what a judged query means (a prune's filters, a tag's name).
 * No Docker client sends one: it is refused.
 */
export function formBodyRefusal(method: string, contentType: string | undefined): Refusal | undefined {
  if (!FORM_METHODS.has(method) || contentType === undefined) return undefined;
  const media = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (media !== 'application/x-www-form-urlencoded') return undefined;
  return new Refusal(400, 'form-encoded request bodies are refused: send parameters in the query string');
}

export interface RequestDetails {
  routed: RoutedRequest;
  method: string;
  target: string;
  headers: Record<string, string>;
  /** The de-chunked body when `judgedBody` (null when the request has none). */
  body: Buffer | null;
  identity: InputIdentity;
  layer: 'proxy' | 'plugin' | 'cli';
  /** Asks the daemon about a named volume (absent: named volumes are not looked up). */
  lookupVolume?: VolumeLookup;
  /** Asks the daemon about the container a request acts on (absent: no `input.target`). */
  lookupContainer?: ContainerLookup;
  /** How the daemon behind dockgate reads bodies (absent: as dockerd 20.10 does). */
  daemon?: DaemonReading;
  dockerfile?: ParsedDockerfile & { path: string };
  targetObject?: InputTarget | null;
}

export interface ReadRequest {
  input: Record<string, unknown>;
  /** The body bytes to forward: the canonical form that was judged (undefined: forward as received). */
  forwardBody: Buffer | undefined;
  /** The container the request acts on, as looked up (null: none such; undefined: not looked up). */
  target?: InputTarget | null;
}

/** Reads the body as dockerd will and builds the input document. Throws Refusal. */
export async function readRequest(d: RequestDetails): Promise<ReadRequest> {
  const body = readBody(d);
  const mounts = await mountsOf(d.routed.route.traits, body.value, d.lookupVolume);
  const target = await targetOf(d);
  return { input: inputOf({ ...d, targetObject: target }, body.value, mounts), forwardBody: body.forward, target };
}

/** The container the request acts on: as given, else looked up for the actions that need it. */
async function targetOf(d: RequestDetails): Promise<InputTarget | null | undefined> {
  const ref = d.routed.route.resource.ref;
  if (d.targetObject !== undefined || !d.routed.route.traits.target || !d.lookupContainer || ref === null)
    return d.targetObject;
  return d.lookupContainer(ref);
}

/**
 * Whether reading this request needs the host or the daemon (mount paths, volumes, the
 * container it acts on): then use readRequest.
 */
export function mountsNeeded(routed: RoutedRequest): boolean {
  const { mounts, target } = routed.route.traits;
  return mounts !== undefined || target === true;
}

/** readRequest for requests that mount nothing (see mountsNeeded): no waiting, for the hot path. */
export function readRequestNow(d: RequestDetails): ReadRequest {
  if (mountsNeeded(d.routed)) throw new Error(`${d.routed.route.action} needs readRequest`);
  const body = readBody(d);
  return { input: inputOf(d, body.value, NO_MOUNTS), forwardBody: body.forward };
}

const NO_MOUNTS: Mounts = { binds: [], volumes: [] };
interface Mounts {
  binds: BindMount[];
  volumes: NamedVolumeUse[];
}

function readBody(d: RequestDetails): { value: unknown; forward: Buffer | undefined } {
  const shape = d.routed.route.traits.body;
  if (shape === undefined || !d.body || d.body.length === 0) return { value: null, forward: undefined };
  const canonical = canonicalizeBody(shape, d.body, d.daemon);
  return { value: canonical.value, forward: canonical.bytes };
}

function inputOf(d: RequestDetails, body: unknown, mounts: Mounts): Record<string, unknown> {
  return buildInput({
    layer: d.layer,
    method: d.method,
    target: d.target,
    headers: d.headers,
    body,
    identity: d.identity,
    apiPath: d.routed.apiPath,
    route: d.routed.route,
    bindMounts: mounts.binds,
    volumes: mounts.volumes,
    dockerfile: d.dockerfile,
    targetObject: d.targetObject,
  });
}

/** Host paths a request would mount: container creates, and `local` volumes created over host paths. */
async function mountsOf(traits: RouteTraits, body: unknown, lookupVolume?: VolumeLookup): Promise<Mounts> {
  if (traits.mounts === 'container') return listMounts(body, lookupVolume);
  if (traits.mounts === 'volume' && body && typeof body === 'object') {
    const { Driver, DriverOpts, Name } = body as { Driver?: unknown; DriverOpts?: unknown; Name?: unknown };
    if (typeof Driver === 'string' && Driver !== '' && Driver !== 'local') return NO_MOUNTS; // the drivers rule judges the name
    const name = typeof Name === 'string' ? Name : '';
    const binds = await Promise.all(
      localVolumeHostPaths(DriverOpts).map(async (p) => ({
        Source: p,
        Destination: '',
        ReadOnly: false,
        Resolved: await resolveHostPath(p),
        Via: `volume:${name}`,
      })),
    );
    return { binds, volumes: [] };
  }
  return NO_MOUNTS;
}
