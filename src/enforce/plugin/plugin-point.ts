// The plugin's decision point: turns one AuthZReq from dockerd into an ApiRequest for the
// decision core (layer "plugin") and its verdict into dockerd's {Allow, Msg}. It decides nothing
// itself beyond what a plugin alone knows: which calls are its own look-ups, which requests are
// the plugin lifecycle that must never be locked, whether dockerd passed the body a policy
// needs, and who the caller is (a TLS name from dockerd, the proxy's signed header, or nobody).
import { isDeepStrictEqual } from 'node:util';
import { Refusal } from '../../docker/refusal.js';
import { parseApiPath } from '../../docker/api-path.js';
import { type RoutedRequest, routeRequest } from '../../docker/request.js';
import { canonicalizeBody } from '../../docker/canonical-body.js';
import { type ApiRequest, DecisionCore, type DenyReason, type PolicyEngine } from '../../policy/index.js';
import { fromJS } from '../../rego/index.js';
import { IDENTITY_HEADER, type Identity, type IdentityVerifier } from '../../tenancy/index.js';
import { type AuthzCall, originForm } from './authz-request.js';
import type { LookupSecret, PluginLookups } from './lookups.js';
import { flagsForChange } from './mutation-flags.js';
import { unforwardable } from './unforwardable.js';

/** dockerd's answer shape (pkg/authorization Response). */
export interface PluginAnswer {
  Allow: boolean;
  Msg?: string;
  Err?: string;
}

/** What the log records of one call. */
export interface PluginDecisionRecord {
  allow: boolean;
  method: string;
  uri: string;
  user: string;
  via: Identity['via'] | 'lifecycle' | 'lookup';
  /** What dockerd was told (Msg) on a refusal. */
  reason?: string;
  error?: string;
}

export interface PluginPointOptions {
  lookups: PluginLookups;
  secret: LookupSecret;
  /** Checks the proxy's signed identity header (null: no key, the header is refused). */
  verifier: IdentityVerifier | null;
  /** Refuse requests that did not come through dockgate serve. */
  requireProxy: boolean;
  /** The allow rule asked (its sibling allow_response judges answers, when defined). */
  query: string;
  /** Longest a decision (look-ups included) may take. */
  decisionTimeoutMs?: number;
}

/** Read-only requests that keep the daemon manageable whatever the policy: ping, version, plugin listing. */
const LIFECYCLE: readonly RegExp[] = [/^\/_ping$/, /^\/version$/, /^\/plugins$/, /^\/plugins\/[^/]+\/json$/];

const UNKNOWN: Identity = Object.freeze({
  uid: null,
  gid: null,
  user: '',
  groups: Object.freeze([]) as unknown as string[],
  pid: null,
  via: 'unknown',
}) as Identity;

export class PluginDecisionPoint {
  private core: DecisionCore | null = null;
  /** Why no policy is in force (the plugin then refuses all but the lifecycle). */
  private loadError = 'no policy loaded yet';
  private readonly tlsIdentities = new Map<string, Identity>();
  private responseRule: { engine: PolicyEngine; defined: boolean } | undefined;

  constructor(private readonly options: PluginPointOptions) {}

  get engine(): PolicyEngine | null {
    return this.core?.engine ?? null;
  }

  /** A policy is in force from now on (reload). */
  setEngine(engine: PolicyEngine): void {
    if (this.core) this.core.engine = engine;
    else this.core = new DecisionCore(engine);
  }

  /** No policy could be loaded: refuse everything but the lifecycle, saying why. */
  setLoadError(message: string): void {
    this.core = null;
    this.loadError = message;
  }

  async request(call: AuthzCall): Promise<{ answer: PluginAnswer; record: PluginDecisionRecord }> {
    const base = { method: call.method, uri: call.uri };
    const target = originForm(call.uri);
    if (this.options.secret.isOwnLookup(call.method, target, call.headers))
      return done({ Allow: true }, { ...base, user: '', via: 'lookup' });
    if (isLifecycle(call.method, target)) return done({ Allow: true }, { ...base, user: call.user, via: 'lifecycle' });

    const who = this.identityOf(call, target);
    if ('refuse' in who) return done({ Allow: false, Msg: who.refuse }, { ...base, user: call.user, via: 'unknown' });
    const identity = who.identity;
    const record = { ...base, user: identity.user, via: identity.via };
    if (this.options.requireProxy && identity.via !== 'proxy-header')
      return done(
        {
          Allow: false,
          Msg: 'dockgate: this daemon takes requests only through dockgate serve ([plugin] require_proxy)',
        },
        record,
      );
    const core = this.core;
    if (core === null) return done({ Allow: false, Msg: `dockgate: no policy in force: ${this.loadError}` }, record);

    let routed: RoutedRequest;
    try {
      if (!target.startsWith('/')) throw new Refusal(400, 'the request target is not a path');
      routed = routeRequest({ method: call.method, target });
    } catch (err) {
      return done({ Allow: false, Msg: `dockgate: ${(err as Error).message}` }, record);
    }
    const unseen = this.unseenBody(call, routed, core.engine, identity);
    if (unseen !== undefined) return done({ Allow: false, Msg: `dockgate: ${unseen}` }, record);

    // Tenancy needs to know whose request it is: a caller dockerd cannot name is judged without it.
    const port = identity.via === 'unknown' ? this.options.lookups : this.options.lookups.withOwners;
    const request: ApiRequest = {
      method: call.method,
      target,
      headers: call.headers,
      body: call.body ?? null,
      routed,
      // The input is a function of the head and the caller alone when no body is judged.
      memoKey: routed.judgedBody ? undefined : `${call.method} ${target}\n${JSON.stringify(call.headers)}`,
    };
    try {
      const judged = core.judge(request, identity, port);
      const verdict =
        judged instanceof Promise ? await withTimeout(judged, this.options.decisionTimeoutMs ?? 10_000) : judged;
      verdict.release?.();
      if (!verdict.allow) {
        const msg =
          verdict.reasons.length > 0
            ? reasonsText(verdict.reasons)
            : (verdict.message ?? 'dockgate: request denied by policy');
        return done({ Allow: false, Msg: msg }, verdict.error ? { ...record, error: msg } : record);
      }
      // Allowed as the proxy would forward it; a plugin can only let the request go on as sent.
      // A list the proxy would filter or answer itself goes on only when it already asks for
      // no more than the proxy would show; a name is not pinned to the id that was judged. A
      // changed body cannot go on.
      const unsent = unforwardable(routed, verdict, { ownerLabel: ownerLabel(core.engine), user: identity.user });
      if (unsent !== undefined) return done({ Allow: false, Msg: unsent }, record);
      const change = verdict.body === undefined ? undefined : await this.bodyChange(call, routed, verdict.body);
      if (change !== undefined)
        return done(
          {
            Allow: false,
            Msg: `mutation: the policy would change this request, and a plugin cannot change requests (${
              change.length > 0 ? `send it with ${change.join(' ')}` : 'send it through dockgate serve'
            })`,
          },
          record,
        );
      return done({ Allow: true }, record);
    } catch (err) {
      const message = `request could not be judged: ${(err as Error).message}`;
      return done({ Allow: false, Msg: `dockgate: ${message}` }, { ...record, error: message });
    }
  }

  /**
   * The flags that would send `forwarded` (the body the core judged and would forward) where the
   * call's body was sent; undefined when both mean the same. The sent body is read the way the
   * core reads it (as dockerd does: folded keys, duplicates resolved), then compared by value
   * (the core's rewrites may order keys differently).
   */
  private async bodyChange(call: AuthzCall, routed: RoutedRequest, forwarded: Buffer): Promise<string[] | undefined> {
    const shape = routed.route.traits.body;
    let sent: unknown = null;
    if (shape !== undefined && call.body !== undefined && call.body.length > 0) {
      const reading =
        routed.route.action === 'container.create' ? await this.options.lookups.daemonReading() : undefined;
      const canonical = canonicalizeBody(shape, call.body, reading).bytes;
      // The core forwards a body it did not change in exactly this form.
      if (canonical.equals(forwarded)) return undefined;
      sent = JSON.parse(canonical.toString('utf8'));
    }
    const after: unknown = JSON.parse(forwarded.toString('utf8'));
    return isDeepStrictEqual(sent, after) ? undefined : flagsForChange(sent, after);
  }

  /**
   * AuthZRes: allowed unless the policy defines a response rule (`allow_response` beside the
   * allow rule), which then sees the request and the daemon's answer.
   */
  response(call: AuthzCall): { answer: PluginAnswer; record: PluginDecisionRecord } {
    const record = { method: call.method, uri: call.uri, user: call.user, via: 'unknown' as const };
    const engine = this.core?.engine;
    const ref = this.responseRef();
    if (!engine?.defines(ref)) return done({ Allow: true }, record);
    let body: unknown = null;
    try {
      body = call.response?.body ? JSON.parse(call.response.body.toString('utf8')) : null;
    } catch {
      body = null;
    }
    const input = fromJS({
      Method: call.method,
      Path: call.uri,
      Headers: call.headers,
      User: call.user,
      layer: 'plugin',
      Response: {
        StatusCode: call.response?.status ?? 0,
        Headers: call.response?.headers ?? {},
        Body: body,
      },
    });
    try {
      const allowed = engine.evaluate(ref, input);
      if (allowed === true) return done({ Allow: true }, record);
      return done({ Allow: false, Msg: `dockgate: the policy's ${ref} refused the daemon's answer` }, record);
    } catch (err) {
      const error = `${ref} could not be evaluated: ${(err as Error).message}`;
      return done({ Allow: false, Msg: `dockgate: ${error}` }, { ...record, error });
    }
  }

  /** Whether a response rule is in force (then dockerd's answers must be read whole). */
  judgesResponses(): boolean {
    const engine = this.core?.engine;
    if (engine === undefined) return false;
    // Asked on every AuthZRes: answered once per engine (a reload brings another).
    if (this.responseRule?.engine !== engine)
      this.responseRule = { engine, defined: engine.defines(this.responseRef()) };
    return this.responseRule.defined;
  }

  private responseRef(): string {
    const q = this.options.query;
    return q.endsWith('.allow') ? `${q}_response` : 'data.docker.authz.allow_response';
  }

  /** The caller: the proxy's signed word, else the TLS name dockerd read, else nobody. */
  private identityOf(call: AuthzCall, target: string): { identity: Identity } | { refuse: string } {
    const signed = call.headers[IDENTITY_HEADER.toLowerCase()];
    if (signed !== undefined) {
      if (this.options.verifier === null)
        return { refuse: 'dockgate: the request carries a proxy identity, and this plugin has no key to check it' };
      const v = this.options.verifier.verify(signed, call.method, target, call.body);
      return v.ok ? { identity: v.identity } : { refuse: `dockgate: ${v.why}` };
    }
    if (call.authMethod === 'TLS' && call.user !== '') {
      let id = this.tlsIdentities.get(call.user);
      if (id === undefined) {
        id = { uid: null, gid: null, user: call.user, groups: [], pid: null, via: 'tls' };
        if (this.tlsIdentities.size >= 1024) this.tlsIdentities.clear();
        this.tlsIdentities.set(call.user, id);
      }
      return { identity: id };
    }
    return { identity: UNKNOWN };
  }

  /**
   * A body the policy needs that dockerd did not pass on. dockerd sends a body only when its
   * Content-Type parses as JSON, its Content-Length is known, above 0 and under 1 MiB, and the
   * URI does not end in /auth; it reads and acts on bodies it did not send all the same. Only a
   * Content-Length of 0 proves there was none (a chunked body reaches the plugin with neither
   * a length nor a body).
   */
  private unseenBody(
    call: AuthzCall,
    routed: RoutedRequest,
    engine: PolicyEngine,
    identity: Identity,
  ): string | undefined {
    if (routed.build) {
      if (exemptAdmin(engine, identity)) return undefined;
      return 'image builds cannot be judged by the plugin: dockerd does not pass build contexts to plugins, so the Dockerfile is unseen (build through dockgate serve, or ask an admin)';
    }
    if (!routed.judgedBody || call.body !== undefined) return undefined;
    const length = call.headers['content-length'];
    if (length !== undefined && /^0+$/.test(length.trim())) return undefined;
    return `dockerd did not pass this request's body to the plugin (it passes only JSON bodies under 1 MiB sent with a Content-Length), so it cannot be judged: send it as application/json with a Content-Length`;
  }
}

function isLifecycle(method: string, target: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  // A lifecycle path holds one of these words, or is percent-encoded: most requests need no parsing.
  if (!target.includes('%') && !/_ping|version|plugins/.test(target)) return false;
  try {
    const { path } = parseApiPath(target);
    return LIFECYCLE.some((re) => re.test(path));
  } catch {
    return false;
  }
}

/** The label tenancy names owners by (used only where tenancy rewrote the request). */
function ownerLabel(engine: PolicyEngine): string {
  return String((engine.config.tenancy as { owner_label?: unknown } | undefined)?.owner_label ?? '');
}

/** The pack's own reading: admins are exempt when the config says so. */
function exemptAdmin(engine: PolicyEngine, id: Identity): boolean {
  const cfg = engine.config as {
    admins_exempt?: boolean;
    identity?: { admins?: string[]; admin_groups?: string[] };
  };
  if (cfg.admins_exempt !== true || id.via === 'unknown') return false;
  return (
    (cfg.identity?.admins ?? []).includes(id.user) ||
    id.groups.some((g) => (cfg.identity?.admin_groups ?? []).includes(g))
  );
}

/** `<rule>: <msg> (<hint>)`, several joined by "; ": dockerd prefixes "authorization denied by plugin NAME: ". */
export function reasonsText(reasons: readonly DenyReason[]): string {
  if (reasons.length === 0) return 'dockgate: request denied by policy';
  return reasons.map((r) => `${r.rule ? `${r.rule}: ` : ''}${r.msg}${r.hint ? ` (${r.hint})` : ''}`).join('; ');
}

function done(
  answer: PluginAnswer,
  record: Omit<PluginDecisionRecord, 'allow' | 'reason'>,
): { answer: PluginAnswer; record: PluginDecisionRecord } {
  return { answer, record: { ...record, allow: answer.Allow, ...(answer.Msg ? { reason: answer.Msg } : {}) } };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no decision within ${ms} ms`)), ms);
    }),
  ]);
}
