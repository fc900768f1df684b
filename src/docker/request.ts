// One Engine API request, read the way dockerd will read it, turned into the policy input
// document. Shared by every enforcement point: they differ in how requests arrive, not in
// what a request means.
import { ApiPathError, parseApiPath, type ApiPath } from './api-path.js';
import { hostDevice, listBindMounts, resolveHostPath, type BindMount, type VolumeLookup } from './bind-mounts.js';
import { BodyRefusedError, canonicalizeBody, hasJudgedBody } from './canonical-body.js';
import type { ParsedDockerfile } from './dockerfile.js';
import { buildInput, type InputIdentity, type InputTarget } from './input.js';
import { matchRoute, type RouteMatch } from './routes.js';

/** Largest body read for judging by default (DESIGN: 2 MiB; over it → 413). */
export const DEFAULT_MAX_JUDGED_BODY = 2 * 1024 * 1024;

/** A request dockgate refuses before any policy runs, because it cannot be read unambiguously. */
export class UnreadableRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface RequestHead {
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

/** Routes a request head. Throws UnreadableRequestError for targets dockerd could read differently. */
export function routeRequest(head: RequestHead): RoutedRequest {
  let apiPath: ApiPath;
  try {
    apiPath = parseApiPath(head.target);
  } catch (err) {
    if (err instanceof ApiPathError) throw new UnreadableRequestError(err.message, err.status);
    throw err;
  }
  const route = matchRoute(head.method, apiPath.path, apiPath.query);
  return { apiPath, route, judgedBody: hasJudgedBody(route.action), build: route.action === 'image.build' };
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
  dockerfile?: ParsedDockerfile & { path: string };
  targetObject?: InputTarget | null;
}

export interface ReadRequest {
  input: Record<string, unknown>;
  /** The body bytes to forward: the canonical form that was judged (undefined: forward as received). */
  forwardBody: Buffer | undefined;
}

/** Reads the body as dockerd will and builds the input document. Throws UnreadableRequestError. */
export async function readRequest(d: RequestDetails): Promise<ReadRequest> {
  const body = readBody(d);
  const bindMounts = await mountsOf(d.routed.route.action, body.value, d.lookupVolume);
  return { input: inputOf(d, body.value, bindMounts), forwardBody: body.forward };
}

/** Whether reading this request needs the host or the daemon (mount paths, volumes): then use readRequest. */
export function mountsNeeded(routed: RoutedRequest): boolean {
  return routed.route.action === 'container.create' || routed.route.action === 'volume.create';
}

/** readRequest for requests that mount nothing (see mountsNeeded): no waiting, for the hot path. */
export function readRequestNow(d: RequestDetails): ReadRequest {
  if (mountsNeeded(d.routed)) throw new Error(`${d.routed.route.action} needs readRequest`);
  const body = readBody(d);
  return { input: inputOf(d, body.value, []), forwardBody: body.forward };
}

function readBody(d: RequestDetails): { value: unknown; forward: Buffer | undefined } {
  const { route, judgedBody } = d.routed;
  if (!judgedBody || !d.body || d.body.length === 0) return { value: null, forward: undefined };
  try {
    const canonical = canonicalizeBody(route.action, d.body);
    return { value: canonical.value, forward: canonical.bytes };
  } catch (err) {
    if (err instanceof BodyRefusedError) throw new UnreadableRequestError(err.message, err.status);
    throw err;
  }
}

function inputOf(d: RequestDetails, body: unknown, bindMounts: BindMount[]): Record<string, unknown> {
  return buildInput({
    layer: d.layer,
    method: d.method,
    target: d.target,
    headers: d.headers,
    body,
    identity: d.identity,
    apiPath: d.routed.apiPath,
    route: d.routed.route,
    bindMounts,
    dockerfile: d.dockerfile,
    targetObject: d.targetObject,
  });
}

/** Host paths a request would mount: container creates, and `local` volumes created over a host device. */
async function mountsOf(action: string, body: unknown, lookupVolume?: VolumeLookup): Promise<BindMount[]> {
  if (action === 'container.create') return listBindMounts(body, lookupVolume);
  if (action === 'volume.create' && body && typeof body === 'object') {
    const opts = (body as { DriverOpts?: unknown }).DriverOpts;
    const device = hostDevice(opts);
    if (device !== undefined) {
      const name = (body as { Name?: unknown }).Name;
      return [{ Source: device, Destination: '', ReadOnly: false, Resolved: await resolveHostPath(device), Via: `volume:${typeof name === 'string' ? name : ''}` }];
    }
  }
  return [];
}
