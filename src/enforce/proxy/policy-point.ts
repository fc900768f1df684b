// The proxy's decision point backed by the policy: each request is read the way dockerd reads
// it (src/docker), turned into the input document, and judged by policy/. The policy engine can
// be swapped (SIGHUP reload) without touching connections in flight.
import {
  DEFAULT_MAX_JUDGED_BODY,
  mountsNeeded,
  readRequest,
  readRequestNow,
  routeRequest,
  type ReadRequest,
  type RoutedRequest,
} from '../../docker/request.js';
import type { InputIdentity, InputTarget } from '../../docker/input.js';
import { DOCKERD_20_READING, type DaemonReading } from '../../docker/canonical-body.js';
import { describeContainer } from '../../docker/target.js';
import { Refusal } from '../../docker/refusal.js';
import type { VolumeInfo } from '../../docker/bind-mounts.js';
import { BuildContextError, DockerfileFinder } from '../../docker/build-context.js';
import type { ParsedDockerfile } from '../../docker/dockerfile.js';
import { imageFacts, judgedDockerfile, type ImageFacts } from '../../docker/build-plan.js';
import { inputIdentity, MutationError, type PolicyDecision, type PolicyEngine } from '../../policy/index.js';
import { equal, fromJS, toJSON, type Value } from '../../rego/index.js';
import type { Identity } from '../../tenancy/index.js';
import type { Decision, DecisionPoint, ProxyRequest } from './decision.js';
import type { Address } from './upstream.js';
import { getDaemonJson } from '../../docker/daemon-client.js';
import { VolumeBusyError, VolumeLocks, type Release } from './volume-locks.js';

/** Requests that create or remove named volumes: judged with the volume's lock held. */
const VOLUME_WRITES: ReadonlySet<string> = new Set(['volume.create', 'volume.delete', 'volume.prune']);

export interface PolicyPointOptions {
  upstream: Address;
  /** Largest JSON body read for judging (over it: 413, nothing forwarded). */
  maxJudgedBody?: number;
  /** How long a live lookup at the daemon (volumes) may take before the request is refused. */
  lookupTimeoutMs?: number;
  /** Largest build context spooled to disk while its Dockerfile is judged (default 16 GiB). */
  maxBuildContext?: number;
}

export class PolicyDecisionPoint implements DecisionPoint {
  private readonly routed = new WeakMap<ProxyRequest, RoutedRequest | Refusal>();
  private readonly contexts = new WeakMap<ProxyRequest, DockerfileFinder>();
  private readonly identities = new WeakMap<Identity, { engine: PolicyEngine; identity: InputIdentity }>();
  /** Decisions on head-only requests, per connection (Identity) and policy engine: see decideHeadOnly. */
  private readonly remembered = new WeakMap<Identity, { engine: PolicyEngine; decisions: Map<string, Decision> }>();
  private readonly maxJudgedBody: number;
  private reading: Promise<DaemonReading> | undefined;
  private readonly volumeLocks = new VolumeLocks();
  private readonly lookupTimeoutMs: number;

  constructor(
    /** The engine in force; replaced on reload. */
    public engine: PolicyEngine,
    private readonly options: PolicyPointOptions,
  ) {
    this.maxJudgedBody = options.maxJudgedBody ?? DEFAULT_MAX_JUDGED_BODY;
    this.lookupTimeoutMs = options.lookupTimeoutMs ?? 5_000;
  }

  bodyLimit(req: ProxyRequest): number {
    const r = this.route(req);
    return r instanceof Refusal || !r.judgedBody ? 0 : this.maxJudgedBody;
  }

  /** Build contexts stream to disk while the Dockerfile in them is found. */
  spoolBody(req: ProxyRequest): { observer: DockerfileFinder; limit: number } | undefined {
    const r = this.route(req);
    if (r instanceof Refusal || !r.build) return undefined;
    const finder = new DockerfileFinder(r.apiPath.query.dockerfile);
    this.contexts.set(req, finder);
    return { observer: finder, limit: this.options.maxBuildContext ?? 16 * 1024 ** 3 };
  }

  decide(req: ProxyRequest): Decision | Promise<Decision> {
    const key = req.hasBody ? undefined : headKey(req);
    const known = key === undefined ? undefined : this.rememberedDecision(req, key);
    if (known !== undefined) return known;
    const routed = this.route(req);
    if (routed instanceof Refusal) return refused(routed.status, routed.message);
    // Most requests mount nothing and carry no build context: decide them without waiting.
    if (this.contexts.has(req) || mountsNeeded(routed) || VOLUME_WRITES.has(routed.route.action))
      return this.decideLater(req, routed);
    if (key !== undefined && !routed.judgedBody && this.engine.deterministic)
      return this.decideHeadOnly(req, routed, key);
    return this.decideNow(req, routed);
  }

  private decideNow(req: ProxyRequest, routed: RoutedRequest): Decision {
    try {
      const first = this.judge(routed, readRequestNow(this.details(req, routed, req.body ?? null, undefined)));
      if (first.mutated === undefined) return first.decision;
      return this.judgeMutation(
        readRequestNow(this.details(req, routed, bodyOf(first.mutated), undefined)),
        first.mutated,
      );
    } catch (err) {
      return failure(err);
    }
  }

  /**
   * A request without a body is judged on its head alone: the input document is a function of
   * the method, target, headers and caller. With a deterministic policy the same head on the same
   * connection gets the same decision, so clients that poll (/_ping, /containers/json, events)
   * are judged once per distinct request, not once per request. Failed evaluations (a timeout
   * under load) are never remembered.
   */
  private decideHeadOnly(req: ProxyRequest, routed: RoutedRequest, key: string): Decision {
    const decision = this.decideNow(req, routed);
    if (!decision.error) {
      let memo = this.remembered.get(req.identity);
      if (memo === undefined || memo.engine !== this.engine) {
        memo = { engine: this.engine, decisions: new Map() };
        this.remembered.set(req.identity, memo);
      }
      if (memo.decisions.size >= REMEMBERED_PER_CONNECTION) memo.decisions.clear();
      memo.decisions.set(key, decision);
    }
    return decision;
  }

  /**
   * An earlier decision on the very same head on this connection, under the same engine. Only
   * head-only requests are ever remembered, and the key holds the method and target that made
   * them head-only, so a hit needs no routing.
   */
  private rememberedDecision(req: ProxyRequest, key: string): Decision | undefined {
    const memo = this.remembered.get(req.identity);
    if (memo === undefined || memo.engine !== this.engine) return undefined;
    return memo.decisions.get(key);
  }

  private async decideLater(req: ProxyRequest, routed: RoutedRequest): Promise<Decision> {
    const held: Release[] = [];
    const decision = await this.decideHolding(req, routed, held);
    if (held.length === 0) return decision;
    const release = () => {
      for (const r of held) r();
    };
    if (!decision.allow) {
      release(); // nothing reaches the daemon
      return decision;
    }
    return { ...decision, release };
  }

  /** decideLater's work; the named volumes it locks go into `held` (see volume-locks.ts). */
  private async decideHolding(req: ProxyRequest, routed: RoutedRequest, held: Release[]): Promise<Decision> {
    try {
      let dockerfile: (ParsedDockerfile & { path: string }) | undefined;
      const context = this.contexts.get(req);
      if (context) {
        const found = await context.result;
        // The plan dockerd will run: ARG/ENV substituted, base images' ONBUILD triggers in place.
        dockerfile = await judgedDockerfile(found, routed.apiPath.query, (name) => this.lookupImage(name));
      }
      const read = await readRequest(
        this.details(req, routed, req.body ?? null, dockerfile, await this.daemonReading(routed), held),
      );
      this.lockVolumeWrite(routed, read, held);
      const first = this.judge(routed, read);
      const decision =
        first.mutated === undefined
          ? first.decision
          : // The rewritten body mounts the same volumes, already locked by the first reading.
            this.judgeMutation(
              await readRequest({
                ...this.details(req, routed, bodyOf(first.mutated), dockerfile),
                targetObject: read.target,
              }),
              first.mutated,
            );
      return pinTarget(decision, req.rawPath, routed, read.target);
    } catch (err) {
      return failure(err);
    }
  }

  /** Judges a read request, and says which body the policy wants instead (data.dockgate.mutate), if any. */
  private judge(routed: RoutedRequest, read: ReadRequest): { decision: Decision; mutated?: Value } {
    const input = fromJS(read.input);
    const decision = this.engine.decide(input);
    if (!decision.allow) return { decision: denied(decision) };
    const mutated = this.engine.mutatedBody(input);
    if (mutated !== undefined) {
      if (!routed.judgedBody)
        return { decision: refused(403, 'the policy asks to change a request whose body dockgate does not rewrite') };
      return { decision: { allow: true }, mutated };
    }
    return { decision: read.forwardBody ? { allow: true, body: read.forwardBody } : { allow: true } };
  }

  /**
   * The policy changes the body (owner labels, limits): the changed request is judged again and
   * forwarded only if the policy allows it and asks for nothing more.
   */
  private judgeMutation(second: ReadRequest, mutated: Value): Decision {
    const input = fromJS(second.input);
    const decision = this.engine.decide(input);
    if (!decision.allow) return denied(decision);
    const again = this.engine.mutatedBody(input);
    if (again !== undefined && !equal(again, mutated))
      return refused(403, 'the policy keeps changing the request body (its mutation is not stable)');
    return { allow: true, body: second.forwardBody };
  }

  private details(
    req: ProxyRequest,
    routed: RoutedRequest,
    body: Buffer | null,
    dockerfile: (ParsedDockerfile & { path: string }) | undefined,
    daemon?: DaemonReading,
    held?: Release[],
  ) {
    return {
      routed,
      method: req.method,
      target: req.rawPath,
      headers: req.headers,
      body,
      layer: 'proxy' as const,
      dockerfile,
      daemon,
      identity: this.inputIdentity(req.identity, this.engine),
      // A create's named volumes are locked before they are looked up, until its exchange ends.
      // A create that would make the volume with its own options holds it as a volume create does.
      lookupVolume: (name: string, creates?: boolean) => {
        if (held && routed.route.action === 'container.create')
          held.push(creates ? this.volumeLocks.write(name) : this.volumeLocks.read(name));
        return this.lookupVolume(name);
      },
      lookupContainer: (ref: string) => this.lookupContainer(ref),
    };
  }

  /**
   * How the daemon reads create bodies, from its version (asked once). A daemon that cannot be
   * asked is read as dockerd 20.10 reads: the reading that applies the most fields, all judged.
   */
  private async daemonReading(routed: RoutedRequest): Promise<DaemonReading | undefined> {
    if (routed.route.action !== 'container.create') return undefined;
    this.reading ??= getDaemonJson(this.options.upstream, '/version', { deadlineMs: this.lookupTimeoutMs }).then(
      (answer) => readingOfVersion((answer.body as { Version?: unknown } | null)?.Version),
      () => {
        this.reading = undefined; // asked again with the next create
        return DOCKERD_20_READING;
      },
    );
    return this.reading;
  }

  /** Volume creation, removal and pruning hold their volume names until their exchange ends. */
  private lockVolumeWrite(routed: RoutedRequest, read: ReadRequest, held: Release[]): void {
    const action = routed.route.action;
    if (action === 'volume.prune') held.push(this.volumeLocks.write(null));
    else if (action === 'volume.delete' && routed.route.resource.ref)
      held.push(this.volumeLocks.write(routed.route.resource.ref));
    else if (action === 'volume.create') {
      const name = (read.input.Body as { Name?: unknown } | null)?.Name;
      if (typeof name === 'string' && name !== '') held.push(this.volumeLocks.write(name));
    }
  }

  /** GET /containers/{ref}/json at the daemon: the container a request acts on (null: no such container). */
  private async lookupContainer(ref: string): Promise<InputTarget | null> {
    const found = await this.lookUp(`/containers/${encodeURIComponent(ref)}/json`, `container ${ref}`);
    // None such: dockerd will answer the request with its own 404.
    return found === undefined ? null : describeContainer(found, (name) => this.lookupVolume(name));
  }

  private route(req: ProxyRequest): RoutedRequest | Refusal {
    let r = this.routed.get(req);
    if (!r) {
      try {
        r = routeRequest({ method: req.method, target: req.rawPath });
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        r = err;
      }
      this.routed.set(req, r);
    }
    return r;
  }

  /**
   * The caller as the input document shows it: admin by the config's users and groups, home
   * from the user database. Worked out once per connection (Identity is per connection) and
   * per policy engine (a reload may change who is an admin).
   */
  private inputIdentity(id: Identity, engine: PolicyEngine): InputIdentity {
    const hit = this.identities.get(id);
    if (hit && hit.engine === engine) return hit.identity;
    const identity = inputIdentity(id, engine.config);
    this.identities.set(id, { engine, identity });
    return identity;
  }

  /** GET /volumes/{name} at the daemon: is this named volume a bind of a host path? */
  private async lookupVolume(name: string): Promise<VolumeInfo | undefined> {
    const v = (await this.lookUp(`/volumes/${encodeURIComponent(name)}`, `volume ${name}`)) as
      | { Driver?: unknown; Options?: unknown }
      | undefined;
    if (v === undefined) return undefined; // not created yet: dockerd will make a plain volume
    return { Driver: String(v.Driver ?? ''), Options: (v.Options as Record<string, string> | null) ?? null };
  }

  /** GET /images/{name}/json at the daemon: a build's base image, for its ONBUILD triggers and ENV. */
  private async lookupImage(name: string): Promise<ImageFacts | undefined> {
    const found = await this.lookUp(`/images/${encodeURIComponent(name)}/json`, `image ${name}`);
    return found === undefined ? undefined : imageFacts(found); // missing: dockerd would pull it, its triggers unknown
  }

  /** A look-up at the daemon: the object's JSON, or undefined when the daemon has none such (404). */
  private async lookUp(path: string, what: string): Promise<unknown> {
    const answer = await getDaemonJson(this.options.upstream, path, { deadlineMs: this.lookupTimeoutMs });
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new Error(`${what} look-up answered ${answer.status}`);
    return answer.body;
  }
}

/**
 * Distinct head-only requests remembered per connection (a polling client repeats a handful),
 * and the longest head remembered: a connection holds at most 16 KiB of remembered heads, so
 * a client sending many large distinct heads cannot grow the proxy's memory this way.
 */
const REMEMBERED_PER_CONNECTION = 16;
const MAX_REMEMBERED_HEAD = 1024;

/**
 * The key a head-only request is remembered by: the head as sent, when the proxy has it (the
 * same bytes, the same input); otherwise built from its parts (header values cannot hold a line
 * feed, http-head refuses bare CR/LF). None for a head too long to remember: it is judged anew.
 */
function headKey(req: ProxyRequest): string | undefined {
  const key = req.headText ?? `${req.method} ${req.rawPath}\n${req.rawHeaders.join('\n')}`;
  return key.length <= MAX_REMEMBERED_HEAD ? key : undefined;
}

/** dockerd 27 stopped reading HostConfig fields from the top level of a create body. */
function readingOfVersion(version: unknown): DaemonReading {
  const major = typeof version === 'string' ? Number.parseInt(version, 10) : Number.NaN;
  return Number.isFinite(major) && major >= 27 ? { topLevelHostConfig: false } : DOCKERD_20_READING;
}

/**
 * An allowed request that names a container is forwarded with the full id that was judged, not
 * the name or prefix it was sent with: a name re-pointed between the look-up and dockerd's
 * reading (rm, then create under the same name) cannot swap in another container.
 */
function pinTarget(
  decision: Decision,
  rawPath: string,
  routed: RoutedRequest,
  target: InputTarget | null | undefined,
): Decision {
  const ref = routed.route.resource.ref;
  if (!decision.allow || !target?.id || ref === null) return decision;
  const { version, path } = routed.apiPath;
  const prefix = '/containers/';
  if (!path.startsWith(prefix + ref)) return decision;
  const q = rawPath.indexOf('?');
  const pinned = `${version ? `/v${version}` : ''}${prefix}${target.id}${path.slice(prefix.length + ref.length)}${q < 0 ? '' : rawPath.slice(q)}`;
  // A request line cannot carry white space; an id from the daemon never holds any.
  if (/\s/.test(pinned)) return refused(502, 'the daemon named the container with an id that cannot be forwarded');
  return { ...decision, target: pinned };
}

function bodyOf(v: Value): Buffer {
  return Buffer.from(toJSON(v), 'utf8');
}

function refused(status: number, message: string): Decision {
  return { allow: false, status, message: `dockgate: ${message}` };
}

function denied(d: PolicyDecision): Decision {
  return { allow: false, status: 403, message: d.message, ...(d.error ? { error: true } : {}) };
}

/** Errors while reading or judging: refusals, never crashes (fail closed). */
function failure(err: unknown): Decision {
  if (err instanceof Refusal) return refused(err.status, err.message);
  if (err instanceof BuildContextError) return refused(400, err.message);
  if (err instanceof VolumeBusyError) return refused(409, err.message);
  if (err instanceof MutationError) return { ...refused(403, err.message), error: true };
  return { ...refused(500, `request could not be judged: ${(err as Error)?.message ?? String(err)}`), error: true };
}
