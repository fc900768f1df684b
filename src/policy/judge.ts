// The decision core: every enforcement point (the proxy; later the authorization plugin and the
// CLI guard) hands it an Engine API request and the caller, and gets a verdict. A request goes
// down once: routed and read the way dockerd reads it (docker/), turned into the input
// document, judged by the engine in force; a body the policy rewrites is read and judged again.
// Anything that goes wrong on the way is a refusal (fail closed). What needs the daemon (look-ups,
// holding named volumes) comes through a DaemonPort that the enforcement point implements.
import type { NamedVolumeUse, VolumeInfo } from '../docker/bind-mounts.js';
import { BuildContextError, type FoundDockerfile } from '../docker/build-context.js';
import { type ImageFacts, judgedDockerfile } from '../docker/build-plan.js';
import type { DaemonReading } from '../docker/canonical-body.js';
import type { ParsedDockerfile } from '../docker/dockerfile.js';
import type { InputIdentity, InputReference, InputTarget } from '../docker/input.js';
import { NotFound, Refusal } from '../docker/refusal.js';
import {
  mountsNeeded,
  type ReadRequest,
  type RequestDetails,
  type RoutedRequest,
  readRequest,
  readRequestNow,
  formBodyRefusal,
  routeRequest,
} from '../docker/request.js';
import { equal, fromJS, ObjectValue, toJSON, type Value } from '../rego/index.js';
import type { Identity } from '../tenancy/index.js';
import { type DenyReason, MutationError, type PolicyDecision, type PolicyEngine } from './engine.js';
import { inputIdentity } from './identity.js';
import { type OwnerPort, Tenancy, tenancySettings, Unseen } from './tenancy.js';

/** An Engine API request as it reached an enforcement point. */
export interface ApiRequest {
  method: string;
  /** Path and query as sent. */
  target: string;
  /** Header names lower-cased → first value. */
  readonly headers: Record<string, string>;
  /** The de-chunked body when its route's body is judged (null: none, or not read). */
  body: Buffer | null;
  /** The route, when the caller already has it (a Refusal: the target cannot be routed). */
  readonly routed?: RoutedRequest | Refusal;
  /** A build: the Dockerfile found in its context, as it is found. */
  dockerfile?: Promise<FoundDockerfile>;
  /**
   * For a request without a body: what its input document is a function of besides the caller
   * (its head as sent). Requests with the same key from the same Identity get the same verdict
   * from a deterministic policy, so the verdict is remembered.
   */
  memoKey?: string;
}

/** Where a request came through (the input's `layer`). */
export type Layer = 'proxy' | 'plugin' | 'cli';

/** Lets go of what a verdict held. */
export type Release = () => void;

/** What the decision core asks the daemon, through the enforcement point. */
export interface DaemonLookups {
  readonly layer: Layer;
  /** How the daemon reads create bodies (undefined: as dockerd 20.10, the reading that applies most). */
  daemonReading(): Promise<DaemonReading | undefined>;
  /** GET /volumes/{name}: undefined when there is none such. */
  lookupVolume(name: string): Promise<VolumeInfo | undefined>;
  /** GET /containers/{ref}/json: null when there is none such. */
  lookupContainer(ref: string): Promise<InputTarget | null>;
  /** GET /images/{name}/json: undefined when there is none such. */
  lookupImage(name: string): Promise<ImageFacts | undefined>;
}

/** What a point that forwards requests gives the core: the look-ups, and holding named volumes. */
export interface DaemonPort extends DaemonLookups {
  /**
   * Holds named volume `name` (null: every volume, for a prune) until the verdict is released:
   * `read` for a create that mounts it, `write` for what creates or removes it. Throws a
   * Refusal (409) while a conflicting hold is in force.
   */
  holdVolume(name: string | null, mode: 'read' | 'write'): Release;
  /** What tenancy asks the daemon (absent: the point cannot, and tenancy does not apply there). */
  readonly owners?: OwnerPort;
}

export interface Verdict {
  allow: boolean;
  /** The policy's reasons for a refusal (empty for refusals of the reading, and when allowed). */
  reasons: readonly DenyReason[];
  /** HTTP status for a refusal. */
  status?: number;
  /** What a refused client is told (Docker's error JSON `message`). */
  message?: string;
  /** No decision could be made (evaluation failed): a refusal to log as an error. */
  error?: boolean;
  /** Allowed with this body instead of the one received: the canonical bytes that were judged. */
  body?: Buffer;
  /** Allowed with this target (path and query): the container named by the id that was judged. */
  target?: string;
  /** Lets go of the volumes the verdict holds; call it once when the request is done with. */
  release?: Release;
  /** Allowed, and answered with this instead of forwarding (a list assembled for the caller). */
  reply?: { status: number; body: unknown };
}

/** Requests that create or remove named volumes: judged with the volume held. */
const VOLUME_WRITES: ReadonlySet<string> = new Set(['volume.create', 'volume.delete', 'volume.prune']);

/**
 * Distinct head-only requests remembered per Identity (a polling client repeats a handful), and
 * the longest key remembered: an Identity holds at most 16 KiB of remembered heads, so a client
 * sending many large distinct heads cannot grow memory this way.
 */
const REMEMBERED_PER_IDENTITY = 16;
const MAX_MEMO_KEY = 1024;

/** What the policy makes of a request judged once, for a point that reports rather than forwards. */
export interface Assessment {
  decision: PolicyDecision;
  /** The request's body as the input document holds it (null: none). */
  body: Value | null;
  /** The body the policy's mutation asks for instead (only when allowed; undefined: none). */
  mutated?: Value;
}

const NO_REASONS: readonly DenyReason[] = Object.freeze([]);

export class DecisionCore {
  private readonly identities = new WeakMap<Identity, { engine: PolicyEngine; identity: InputIdentity }>();
  private readonly remembered = new WeakMap<Identity, { engine: PolicyEngine; verdicts: Map<string, Verdict> }>();
  private readonly tenancies = new WeakMap<OwnerPort, { engine: PolicyEngine; tenancy: Tenancy | null }>();

  constructor(
    /** The engine in force; replaced on reload, which forgets what the old one decided. */
    public engine: PolicyEngine,
  ) {}

  /**
   * The verdict on `request` from `identity`. Synchronous when nothing needs the daemon or a
   * build context (most requests); never throws: a failure is a refusal.
   */
  judge(request: ApiRequest, identity: Identity, port: DaemonPort): Verdict | Promise<Verdict> {
    const form = formBodyRefusal(request.method, request.headers['content-type']);
    if (form) return refused(form.status, form.message);
    const key = request.memoKey !== undefined && request.memoKey.length <= MAX_MEMO_KEY ? request.memoKey : undefined;
    const known = key === undefined ? undefined : this.rememberedVerdict(identity, key);
    if (known !== undefined) return known;
    let routed: RoutedRequest | Refusal;
    try {
      routed = request.routed ?? routeRequest(request);
    } catch (err) {
      return failure(err);
    }
    if (routed instanceof Refusal) return refused(routed.status, routed.message);
    const tenancy = this.tenancy(port);
    const tenant = tenancy && this.inputIdentity(identity);
    // Most requests mount nothing, carry no build context and name nothing of anybody's: judge
    // them without waiting.
    if (
      request.dockerfile ||
      mountsNeeded(routed) ||
      VOLUME_WRITES.has(routed.route.action) ||
      (tenancy && tenant && tenancy.needsDaemon(routed, tenant))
    )
      return this.judgeLater(request, routed, identity, port);
    let forward: Forward = { request, routed };
    if (tenancy && tenant) {
      try {
        forward = rewritten(forward, tenancy.forwardedTarget(routed, request.target, tenant));
      } catch (err) {
        return failure(err);
      }
    }
    if (key !== undefined && !routed.judgedBody && this.engine.deterministic)
      return this.judgeHeadOnly(forward, identity, port, key);
    return this.judgeNow(forward, identity, port);
  }

  /**
   * What the policy makes of `request`, read and judged once as the proxy reads and judges it,
   * and its mutation asked for but not applied nor judged again: for the audit, which reports
   * what the proxy would not forward as it is. Throws Refusal for a request the proxy would
   * refuse before judging, MutationError, and what the look-ups throw.
   */
  async assess(request: ApiRequest, identity: Identity, lookups: DaemonLookups): Promise<Assessment> {
    const form = formBodyRefusal(request.method, request.headers['content-type']);
    if (form) throw form;
    const routed = request.routed ?? routeRequest(request);
    if (routed instanceof Refusal) throw routed;
    const daemon = routed.route.action === 'container.create' ? await lookups.daemonReading() : undefined;
    const read = await readRequest({ ...this.details(request, routed, identity, lookups, request.body), daemon });
    const input = fromJS(read.input);
    const body = input instanceof ObjectValue ? (input.get('Body') ?? null) : null;
    const decision = this.engine.decide(input);
    if (!decision.allow) return { decision, body };
    const mutated = this.engine.mutatedBody(input);
    return mutated === undefined ? { decision, body } : { decision, body, mutated };
  }

  /** Judges a request that needs nothing from the daemon; a rewritten target is forwarded when allowed. */
  private judgeNow({ request, routed, target }: Forward, identity: Identity, port: DaemonPort): Verdict {
    try {
      const first = this.judgeRead(routed, readRequestNow(this.details(request, routed, identity, port, request.body)));
      const verdict =
        first.mutated === undefined
          ? first.verdict
          : this.judgeMutation(
              readRequestNow(this.details(request, routed, identity, port, bodyOf(first.mutated))),
              first.mutated,
            );
      return target !== undefined && verdict.allow ? { ...verdict, target } : verdict;
    } catch (err) {
      return failure(err);
    }
  }

  /**
   * A request without a body is judged on its head alone: the input document is a function of
   * the method, target, headers and caller. With a deterministic policy the same head from the
   * same Identity gets the same verdict, so clients that poll (/_ping, /containers/json, events)
   * are judged once per distinct request. Failed evaluations (a timeout under load) are never
   * remembered.
   */
  private judgeHeadOnly(forward: Forward, identity: Identity, port: DaemonPort, key: string): Verdict {
    const verdict = this.judgeNow(forward, identity, port);
    if (!verdict.error) {
      let memo = this.remembered.get(identity);
      if (memo === undefined || memo.engine !== this.engine) {
        memo = { engine: this.engine, verdicts: new Map() };
        this.remembered.set(identity, memo);
      }
      if (memo.verdicts.size >= REMEMBERED_PER_IDENTITY) memo.verdicts.clear();
      memo.verdicts.set(key, verdict);
    }
    return verdict;
  }

  /**
   * An earlier verdict on the very same head from this Identity, under the same engine. Only
   * head-only requests are ever remembered, and the key holds the method and target that made
   * them head-only, so a hit needs no routing.
   */
  private rememberedVerdict(identity: Identity, key: string): Verdict | undefined {
    const memo = this.remembered.get(identity);
    if (memo === undefined || memo.engine !== this.engine) return undefined;
    return memo.verdicts.get(key);
  }

  private async judgeLater(
    request: ApiRequest,
    routed: RoutedRequest,
    identity: Identity,
    port: DaemonPort,
  ): Promise<Verdict> {
    const held: Release[] = [];
    const verdict = await this.judgeHolding(request, routed, identity, port, held);
    if (held.length === 0) return verdict;
    const release = () => {
      for (const r of held) r();
    };
    if (!verdict.allow) {
      release(); // nothing reaches the daemon
      return verdict;
    }
    return { ...verdict, release };
  }

  /** judgeLater's work; the named volumes it holds go into `held`. */
  private async judgeHolding(
    received: ApiRequest,
    receivedRouting: RoutedRequest,
    identity: Identity,
    port: DaemonPort,
    held: Release[],
  ): Promise<Verdict> {
    try {
      const tenancy = this.tenancy(port);
      const tenant = this.inputIdentity(identity);
      const { request, routed, target } = tenancy
        ? rewritten(
            { request: received, routed: receivedRouting },
            tenancy.forwardedTarget(receivedRouting, received.target, tenant),
          )
        : { request: received, routed: receivedRouting, target: undefined };
      const unseen = new Unseen();
      const named = tenancy ? await unseen.absentIf(tenancy.checkNamed(routed, tenant), { target: null }) : {};
      let dockerfile: (ParsedDockerfile & { path: string }) | undefined;
      if (request.dockerfile) {
        const found = await request.dockerfile;
        // The plan dockerd will run: ARG/ENV substituted, base images' ONBUILD triggers in place.
        dockerfile = await judgedDockerfile(found, routed.apiPath.query, async (name) =>
          !tenancy || (await tenancy.imageVisible(name, tenant)) ? port.lookupImage(name) : undefined,
        );
      }
      if (tenancy) await unseen.absentIf(tenancy.checkImages(routed, dockerfile, tenant), undefined);
      const daemon = routed.route.action === 'container.create' ? await port.daemonReading() : undefined;
      let read = await readRequest({
        ...this.details(request, routed, identity, port, request.body, { port, held }),
        dockerfile,
        daemon,
        ...(named.target !== undefined ? { targetObject: named.target } : {}),
      });
      holdVolumeWrite(routed, read, port, held);
      let references: InputReference[] = [];
      if (tenancy) {
        // What is judged is what is forwarded: the body with its owner label stamped on.
        const stamped = tenancy.stampedBody(routed.route.action, read.input.Body, tenant);
        if (stamped !== undefined)
          read = await readRequest({
            ...this.details(request, routed, identity, port, bodyOf(fromJS(stamped))),
            dockerfile,
            daemon,
            targetObject: read.target,
          });
        await tenancy.checkName(routed, read.input.Body, tenant);
        references = await this.checkReferences(tenancy, routed, read, tenant, unseen);
        const usage = await tenancy.usage(routed.route.action, named.target, tenant);
        if (usage !== undefined) read.input.usage = usage;
      }
      const first = this.judgeRead(routed, read);
      let forwarded = read;
      let verdict = first.verdict;
      if (first.mutated !== undefined) {
        // The rewritten body mounts the same volumes, already held by the first reading.
        forwarded = await readRequest({
          ...this.details(request, routed, identity, port, bodyOf(first.mutated)),
          dockerfile,
          daemon,
          targetObject: read.target,
        });
        if (tenancy) await this.checkReferences(tenancy, routed, forwarded, tenant, unseen, references);
        verdict = this.judgeMutation(forwarded, first.mutated);
      }
      if (!verdict.allow) return verdict;
      if (unseen.answer) return failure(unseen.answer);
      tenancy?.checkBuildCache(routed, tenant);
      if (tenancy) {
        if (tenancy.answers(routed, tenant))
          return { ...verdict, reply: await tenancy.answer(routed, target ?? request.target, tenant) };
        if (routed.route.action === 'container.create')
          await tenancy.createVolumes(forwarded.input.Body, volumesOf(forwarded), tenant);
      }
      const pinned = pinTarget(verdict, target ?? request.target, routed, read.target, named.pinnedId);
      return target !== undefined && pinned.allow && pinned.target === undefined ? { ...pinned, target } : pinned;
    } catch (err) {
      return failure(err);
    }
  }

  /**
   * Tenancy's word on the objects a body names, put into the input (`request.references`).
   * `expected`: the references of the first reading, which a policy's rewrite may not change.
   */
  private async checkReferences(
    tenancy: Tenancy,
    routed: RoutedRequest,
    read: ReadRequest,
    tenant: InputIdentity,
    unseen: Unseen,
    expected?: InputReference[],
  ): Promise<InputReference[]> {
    const body = read.input.Body as Record<string, unknown> | null;
    const references = await tenancy.checkReferences(routed.route.action, body, volumesOf(read), tenant, unseen);
    (read.input.request as { references: InputReference[] }).references = references;
    if (expected !== undefined && JSON.stringify(expected) !== JSON.stringify(references))
      throw new Refusal(403, "the policy's rewrite of the request changes the containers it joins");
    if (expected !== undefined && !tenancy.keepsStamp(routed.route.action, body, tenant))
      throw new Refusal(403, `the policy's rewrite of the request changes its ${tenancy.settings.ownerLabel} label`);
    return references;
  }

  /** Judges a read request, and says which body the policy wants instead (data.dockgate.mutate), if any. */
  private judgeRead(routed: RoutedRequest, read: ReadRequest): { verdict: Verdict; mutated?: Value } {
    const input = fromJS(read.input);
    const decision = this.engine.decide(input);
    if (!decision.allow) return { verdict: denied(decision) };
    const mutated = this.engine.mutatedBody(input);
    if (mutated !== undefined) {
      if (!routed.judgedBody)
        return { verdict: refused(403, 'the policy asks to change a request whose body dockgate does not rewrite') };
      return { verdict: { allow: true, reasons: NO_REASONS }, mutated };
    }
    return {
      verdict: read.forwardBody
        ? { allow: true, reasons: NO_REASONS, body: read.forwardBody }
        : { allow: true, reasons: NO_REASONS },
    };
  }

  /**
   * The policy changes the body (owner labels, limits): the changed request is judged again and
   * allowed only if the policy allows it and asks for nothing more.
   */
  private judgeMutation(second: ReadRequest, mutated: Value): Verdict {
    const input = fromJS(second.input);
    const decision = this.engine.decide(input);
    if (!decision.allow) return denied(decision);
    const again = this.engine.mutatedBody(input);
    if (again !== undefined && !equal(again, mutated))
      return refused(403, 'the policy keeps changing the request body (its mutation is not stable)');
    return second.forwardBody === undefined
      ? { allow: true, reasons: NO_REASONS }
      : { allow: true, reasons: NO_REASONS, body: second.forwardBody };
  }

  private details(
    request: ApiRequest,
    routed: RoutedRequest,
    identity: Identity,
    port: DaemonLookups,
    body: Buffer | null,
    holding?: { port: DaemonPort; held: Release[] },
  ): RequestDetails {
    return {
      routed,
      method: request.method,
      target: request.target,
      headers: request.headers,
      body,
      layer: port.layer,
      identity: this.inputIdentity(identity),
      // A create's named volumes are held from before they are looked up until the request is
      // done with. A create that would make the volume with its own options holds it as a
      // volume create does.
      lookupVolume: (name: string, creates?: boolean) => {
        if (holding && routed.route.action === 'container.create')
          holding.held.push(holding.port.holdVolume(name, creates ? 'write' : 'read'));
        return port.lookupVolume(name);
      },
      lookupContainer: async (ref: string) => {
        const found = await port.lookupContainer(ref);
        // With tenancy, what any caller (admins too) acts on shows its owner.
        const tenancy = found && this.tenancy(port);
        return tenancy ? tenancy.owned(found, this.inputIdentity(identity)) : found;
      },
    };
  }

  /** Tenancy for requests through `port`, under the engine in force (null: off, or the port cannot). */
  private tenancy(port: DaemonLookups | DaemonPort): Tenancy | null {
    const owners = (port as DaemonPort).owners;
    if (owners === undefined) return null;
    const hit = this.tenancies.get(owners);
    if (hit && hit.engine === this.engine) return hit.tenancy;
    const settings = tenancySettings(this.engine.config);
    const tenancy = settings && new Tenancy(settings, (ref) => port.lookupContainer(ref), owners);
    this.tenancies.set(owners, { engine: this.engine, tenancy });
    return tenancy;
  }

  /**
   * The caller as the input document shows it, worked out once per Identity (one per
   * connection) and per engine (a reload may change who is an admin).
   */
  private inputIdentity(id: Identity): InputIdentity {
    const hit = this.identities.get(id);
    if (hit && hit.engine === this.engine) return hit.identity;
    const identity = inputIdentity(id, this.engine.config);
    this.identities.set(id, { engine: this.engine, identity });
    return identity;
  }
}

/** Volume creation, removal and pruning hold their volume names until the request is done with. */
function holdVolumeWrite(routed: RoutedRequest, read: ReadRequest, port: DaemonPort, held: Release[]): void {
  const action = routed.route.action;
  if (action === 'volume.prune') held.push(port.holdVolume(null, 'write'));
  else if (action === 'volume.delete' && routed.route.resource.ref)
    held.push(port.holdVolume(routed.route.resource.ref, 'write'));
  else if (action === 'volume.create') {
    const name = (read.input.Body as { Name?: unknown } | null)?.Name;
    if (typeof name === 'string' && name !== '') held.push(port.holdVolume(name, 'write'));
  }
}

/**
 * An allowed request that names a container (or, with tenancy, a network) goes on with the full
 * id that was judged, not the name or prefix it was sent with: a name re-pointed between the
 * look-up and dockerd's reading (rm, then create under the same name) cannot swap in another.
 */
function pinTarget(
  verdict: Verdict,
  rawTarget: string,
  routed: RoutedRequest,
  target: InputTarget | null | undefined,
  networkId?: string,
): Verdict {
  const ref = routed.route.resource.ref;
  const kind = routed.route.traits.names;
  const id =
    kind === 'network' ? networkId : kind === 'container' || routed.route.traits.target ? target?.id : undefined;
  if (!verdict.allow || !id || ref === null) return verdict;
  const { version, path } = routed.apiPath;
  const prefix = routed.route.traits.names === 'network' ? '/networks/' : '/containers/';
  if (!path.startsWith(prefix + ref)) return verdict;
  const q = rawTarget.indexOf('?');
  const pinned = `${version ? `/v${version}` : ''}${prefix}${encodeURIComponent(id)}${path.slice(prefix.length + ref.length)}${q < 0 ? '' : rawTarget.slice(q)}`;
  return { ...verdict, target: pinned };
}

/** The named volumes a create mounts, as its reading listed them. */
function volumesOf(read: ReadRequest): NamedVolumeUse[] {
  return ((read.input.request as { volumes?: NamedVolumeUse[] } | undefined)?.volumes ?? []) as NamedVolumeUse[];
}

/** A request to forward with another target (rewritten by tenancy), routed anew. */
interface Forward {
  request: ApiRequest;
  routed: RoutedRequest;
  /** The target to forward instead of the one received (undefined: as received). */
  target?: string;
}

function rewritten(forward: Forward, target: string | undefined): Forward {
  if (target === undefined) return forward;
  const request = { ...forward.request, target, routed: undefined };
  return { request, routed: routeRequest(request), target };
}

function bodyOf(v: Value): Buffer {
  return Buffer.from(toJSON(v), 'utf8');
}

function refused(status: number, message: string): Verdict {
  return { allow: false, reasons: NO_REASONS, status, message: `dockgate: ${message}` };
}

function denied(d: PolicyDecision): Verdict {
  return { allow: false, reasons: d.reasons, status: 403, message: d.message, ...(d.error ? { error: true } : {}) };
}

/** Errors while reading or judging: refusals, never crashes (fail closed). */
function failure(err: unknown): Verdict {
  // Somebody else's object is answered in dockerd's words for one that does not exist.
  if (err instanceof NotFound) return { allow: false, reasons: NO_REASONS, status: err.status, message: err.message };
  if (err instanceof Refusal) return refused(err.status, err.message);
  if (err instanceof BuildContextError) return refused(400, err.message);
  if (err instanceof MutationError) return { ...refused(403, err.message), error: true };
  return { ...refused(500, `request could not be judged: ${(err as Error)?.message ?? String(err)}`), error: true };
}
