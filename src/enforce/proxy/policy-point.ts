// The proxy's decision point: a thin caller of the decision core (policy/judge.ts). It says which
// bodies the core must see (read whole, or spooled for builds), hands each request to the core
// with the caller's Identity, and answers the core's questions to the daemon (look-ups, volumes
// held while a request is in flight). The policy engine can be swapped (SIGHUP reload) without
// touching connections in flight.
import type { VolumeInfo } from '../../docker/bind-mounts.js';
import { DockerfileFinder } from '../../docker/build-context.js';
import { type ImageFacts, imageFacts } from '../../docker/build-plan.js';
import { DOCKERD_20_READING, type DaemonReading } from '../../docker/canonical-body.js';
import type { Address } from '../../docker/daemon-address.js';
import { getDaemonJson, postDaemonJson } from '../../docker/daemon-client.js';
import type { InputTarget } from '../../docker/input.js';
import { Refusal } from '../../docker/refusal.js';
import { DEFAULT_MAX_JUDGED_BODY, type RoutedRequest, routeRequest } from '../../docker/request.js';
import { describeContainer } from '../../docker/target.js';
import {
  type ApiRequest,
  type DaemonPort,
  DecisionCore,
  type OwnerPort,
  type PolicyEngine,
  type Release,
  type Verdict,
} from '../../policy/index.js';
import type { Decision, DecisionPoint, ProxyRequest } from './decision.js';
import { VolumeBusyError, VolumeLocks } from './volume-locks.js';

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
  private readonly core: DecisionCore;
  private readonly daemon: ProxyDaemonPort;
  private readonly maxJudgedBody: number;
  private readonly maxBuildContext: number;

  constructor(engine: PolicyEngine, options: PolicyPointOptions) {
    this.core = new DecisionCore(engine);
    this.daemon = new ProxyDaemonPort(options.upstream, options.lookupTimeoutMs ?? 5_000);
    this.maxJudgedBody = options.maxJudgedBody ?? DEFAULT_MAX_JUDGED_BODY;
    this.maxBuildContext = options.maxBuildContext ?? 16 * 1024 ** 3;
  }

  /** The engine in force; replaced on reload. */
  get engine(): PolicyEngine {
    return this.core.engine;
  }
  set engine(next: PolicyEngine) {
    this.core.engine = next;
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
    return { observer: finder, limit: this.maxBuildContext };
  }

  decide(req: ProxyRequest): Decision | Promise<Decision> {
    const point = this;
    const request: ApiRequest = {
      method: req.method,
      target: req.rawPath,
      get headers() {
        return req.headers;
      },
      body: req.body ?? null,
      // Routed on first use: a remembered verdict needs no routing.
      get routed() {
        return point.route(req);
      },
      dockerfile: this.contexts.get(req)?.result,
      // The head as sent, when the proxy has it (the same bytes, the same input); otherwise built
      // from its parts (header values cannot hold a line feed, http-head refuses bare CR/LF).
      memoKey: req.hasBody ? undefined : (req.headText ?? `${req.method} ${req.rawPath}\n${req.rawHeaders.join('\n')}`),
    };
    const verdict = this.core.judge(request, req.identity, this.daemon);
    return verdict instanceof Promise ? verdict.then(withReply) : withReply(verdict);
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
}

/** A verdict the core answers itself (a list assembled for the caller) as the proxy writes it. */
function withReply(verdict: Verdict): Decision {
  const { reply, ...rest } = verdict;
  if (reply === undefined) return rest;
  return { ...rest, reply: { status: reply.status, body: Buffer.from(`${JSON.stringify(reply.body)}\n`) } };
}

/** Largest daemon answer read to assemble a caller's list from it. */
const MAX_ASSEMBLED_LIST = 64 * 1024 * 1024;

/** The decision core's questions to the daemon behind the proxy, and the volumes held meanwhile. */
class ProxyDaemonPort implements DaemonPort {
  readonly layer = 'proxy' as const;
  private reading: Promise<DaemonReading> | undefined;
  private readonly volumeLocks = new VolumeLocks();
  readonly owners: OwnerPort;

  constructor(
    private readonly upstream: Address,
    private readonly lookupTimeoutMs: number,
  ) {
    const deadlineMs = lookupTimeoutMs;
    this.owners = {
      inspect: async (kind, ref) => {
        const path = {
          exec: `/exec/${encodeURIComponent(ref)}/json`,
          volume: `/volumes/${encodeURIComponent(ref)}`,
          network: `/networks/${encodeURIComponent(ref)}`,
          image: `/images/${encodeURIComponent(ref)}/json`,
        }[kind];
        const found = await this.lookUp(path, `${kind} ${ref}`);
        return found !== null && typeof found === 'object' ? (found as Record<string, unknown>) : undefined;
      },
      fetchJson: (target) => getDaemonJson(upstream, target, { deadlineMs, maxBytes: MAX_ASSEMBLED_LIST }),
      createVolume: (spec) => postDaemonJson(upstream, '/volumes/create', spec, { deadlineMs }),
    };
  }

  /**
   * How the daemon reads create bodies, from its version (asked once). A daemon that cannot be
   * asked is read as dockerd 20.10 reads: the reading that applies the most fields, all judged.
   */
  daemonReading(): Promise<DaemonReading> {
    this.reading ??= getDaemonJson(this.upstream, '/version', { deadlineMs: this.lookupTimeoutMs }).then(
      (answer) => readingOfVersion((answer.body as { Version?: unknown } | null)?.Version),
      () => {
        this.reading = undefined; // asked again with the next create
        return DOCKERD_20_READING;
      },
    );
    return this.reading;
  }

  holdVolume(name: string | null, mode: 'read' | 'write'): Release {
    try {
      if (mode === 'read' && name !== null) return this.volumeLocks.read(name);
      return this.volumeLocks.write(name);
    } catch (err) {
      if (err instanceof VolumeBusyError) throw new Refusal(409, err.message);
      throw err;
    }
  }

  /** GET /containers/{ref}/json at the daemon: the container a request acts on (null: no such container). */
  async lookupContainer(ref: string): Promise<InputTarget | null> {
    const found = await this.lookUp(`/containers/${encodeURIComponent(ref)}/json`, `container ${ref}`);
    // None such: dockerd will answer the request with its own 404.
    return found === undefined ? null : describeContainer(found, (name) => this.lookupVolume(name));
  }

  /** GET /volumes/{name} at the daemon: is this named volume a bind of a host path? */
  async lookupVolume(name: string): Promise<VolumeInfo | undefined> {
    const v = (await this.lookUp(`/volumes/${encodeURIComponent(name)}`, `volume ${name}`)) as
      | { Driver?: unknown; Options?: unknown; Labels?: unknown }
      | undefined;
    if (v === undefined) return undefined; // not created yet: dockerd will make a plain volume
    return {
      Driver: String(v.Driver ?? ''),
      Options: (v.Options as Record<string, string> | null) ?? null,
      Labels: (v.Labels as Record<string, string> | null) ?? null,
    };
  }

  /** GET /images/{name}/json at the daemon: a build's base image, for its ONBUILD triggers and ENV. */
  async lookupImage(name: string): Promise<ImageFacts | undefined> {
    const found = await this.lookUp(`/images/${encodeURIComponent(name)}/json`, `image ${name}`);
    return found === undefined ? undefined : imageFacts(found); // missing: dockerd would pull it, its triggers unknown
  }

  /** A look-up at the daemon: the object's JSON, or undefined when the daemon has none such (404). */
  private async lookUp(path: string, what: string): Promise<unknown> {
    const answer = await getDaemonJson(this.upstream, path, { deadlineMs: this.lookupTimeoutMs });
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new Error(`${what} look-up answered ${answer.status}`);
    return answer.body;
  }
}

/** dockerd 27 stopped reading HostConfig fields from the top level of a create body. */
function readingOfVersion(version: unknown): DaemonReading {
  const major = typeof version === 'string' ? Number.parseInt(version, 10) : Number.NaN;
  return Number.isFinite(major) && major >= 27 ? { topLevelHostConfig: false } : DOCKERD_20_READING;
}
