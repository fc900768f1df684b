// The proxy's decision point backed by the policy: each request is read the way dockerd reads
// it (src/docker), turned into the input document, and judged by policy/. The policy engine can
// be swapped (SIGHUP reload) without touching connections in flight.
import { DEFAULT_MAX_JUDGED_BODY, readRequest, routeRequest, UnreadableRequestError, type RoutedRequest } from '../../docker/request.js';
import type { InputIdentity } from '../../docker/input.js';
import type { VolumeInfo } from '../../docker/bind-mounts.js';
import type { PolicyEngine } from '../../policy/index.js';
import { userById, type Identity } from '../../tenancy/index.js';
import type { Decision, DecisionPoint, ProxyRequest } from './decision.js';
import type { Address } from './upstream.js';
import { getDaemonJson } from './daemon-client.js';

export interface PolicyPointOptions {
  upstream: Address;
  /** Largest JSON body read for judging (over it: 413, nothing forwarded). */
  maxJudgedBody?: number;
  /** How long a live lookup at the daemon (volumes) may take before the request is refused. */
  lookupTimeoutMs?: number;
}

export class PolicyDecisionPoint implements DecisionPoint {
  private readonly routed = new WeakMap<ProxyRequest, RoutedRequest | UnreadableRequestError>();
  private readonly maxJudgedBody: number;
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
    return r instanceof UnreadableRequestError || !r.judgedBody ? 0 : this.maxJudgedBody;
  }

  async decide(req: ProxyRequest): Promise<Decision> {
    const routed = this.route(req);
    if (routed instanceof UnreadableRequestError) return { allow: false, status: routed.status, message: `dockgate: ${routed.message}` };
    const engine = this.engine;
    let read;
    try {
      read = await readRequest({
        routed,
        method: req.method,
        target: req.rawPath,
        headers: req.headers,
        body: req.body ?? null,
        identity: this.inputIdentity(req.identity, engine),
        layer: 'proxy',
        lookupVolume: (name) => this.lookupVolume(name),
      });
    } catch (err) {
      if (err instanceof UnreadableRequestError) return { allow: false, status: err.status, message: `dockgate: ${err.message}` };
      throw err;
    }
    const decision = engine.decide(read.input);
    if (!decision.allow) return { allow: false, status: 403, message: decision.message, ...(decision.error ? { error: true } : {}) };
    return read.forwardBody ? { allow: true, body: read.forwardBody } : { allow: true };
  }

  private route(req: ProxyRequest): RoutedRequest | UnreadableRequestError {
    let r = this.routed.get(req);
    if (!r) {
      try {
        r = routeRequest({ method: req.method, target: req.rawPath });
      } catch (err) {
        if (!(err instanceof UnreadableRequestError)) throw err;
        r = err;
      }
      this.routed.set(req, r);
    }
    return r;
  }

  /** The caller as the input document shows it: admin by the config's users and groups. */
  private inputIdentity(id: Identity, engine: PolicyEngine): InputIdentity {
    const cfg = engine.config.identity as { admins: string[]; admin_groups: string[] };
    const admin = cfg.admins.includes(id.user) || id.groups.some((g) => cfg.admin_groups.includes(g));
    const home = id.uid === null ? '' : (userById(id.uid)?.home ?? '');
    return {
      uid: id.uid, gid: id.gid, user: id.user, groups: id.groups, admin, pid: id.pid, home,
      via: id.via === 'insecure-tcp' ? 'proxy-header' : id.via,
    };
  }

  /** GET /volumes/{name} at the daemon: is this named volume a bind of a host path? */
  private async lookupVolume(name: string): Promise<VolumeInfo | undefined> {
    const answer = await getDaemonJson(this.options.upstream, `/volumes/${encodeURIComponent(name)}`, this.lookupTimeoutMs);
    if (answer.status === 404) return undefined; // not created yet: dockerd will make a plain volume
    if (answer.status !== 200) throw new Error(`volume look-up for ${name} answered ${answer.status}`);
    const v = answer.body as { Driver?: unknown; Options?: unknown };
    return { Driver: String(v.Driver ?? ''), Options: (v.Options as Record<string, string> | null) ?? null };
  }
}
