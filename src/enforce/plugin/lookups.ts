// The plugin's questions to the daemon it guards: the container a request acts on (its owner
// label, user and host mounts), named volumes, images and networks, exec instances, a user's
// running containers, the daemon's version. They go to the same dockerd that is waiting for
// this plugin's answer, and dockerd asks this plugin about them in turn: each carries a secret
// made at start (never written anywhere, only sent to dockerd over its socket), and the plugin
// lets exactly those read-only look-ups through without judging them, so a look-up can neither
// be refused nor wait on itself.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { VolumeInfo } from '../../docker/bind-mounts.js';
import { type ImageFacts, imageFacts } from '../../docker/build-plan.js';
import { DOCKERD_20_READING, type DaemonReading } from '../../docker/canonical-body.js';
import type { Address } from '../../docker/daemon-address.js';
import { getDaemonJson } from '../../docker/daemon-client.js';
import type { InputTarget } from '../../docker/input.js';
import { Refusal } from '../../docker/refusal.js';
import { describeContainer, inspectPath } from '../../docker/target.js';
import type { DaemonPort, OwnerPort, Release } from '../../policy/index.js';

/** The header that carries the plugin's own secret on its look-ups. */
export const LOOKUP_HEADER = 'x-dockgate-plugin-lookup';

/** The label naming who created a container (set by dockgate serve's owner mutation). */
const OWNER_LABEL = 'dockgate.owner';

/**
 * Paths of the look-ups this plugin sends (after an optional /vX.Y prefix): inspects, the
 * version, and the lists tenancy reads (a user's running containers, the full lists it
 * assembles a caller's answer from). All are GETs: a secret that leaked would read, not act.
 */
const LOOKUP_PATH =
  /^(?:\/v[0-9.]+)?\/(?:containers\/[^/?]+\/json|exec\/[^/?]+\/json|volumes\/[^/?]+|networks\/[^/?]+|images\/[^?]+\/json|version|containers\/json|images\/json|networks|system\/df)(?:\?[^#]*)?$/;

/** Largest daemon answer read to assemble a caller's list from it. */
const MAX_ASSEMBLED_LIST = 64 * 1024 * 1024;

export class LookupSecret {
  private readonly value = randomBytes(32).toString('hex');

  get header(): Record<string, string> {
    return { [LOOKUP_HEADER]: this.value };
  }

  /**
   * Whether a call is one of this plugin's own look-ups: a GET to a look-up path carrying the
   * secret. Anything else with the header is judged like any request.
   */
  isOwnLookup(method: string, uri: string, headers: Record<string, string>): boolean {
    const sent = headers[LOOKUP_HEADER];
    if (sent === undefined || method !== 'GET' || !LOOKUP_PATH.test(uri)) return false;
    const a = Buffer.from(sent);
    const b = Buffer.from(this.value);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

/**
 * Look-ups at the daemon; with no daemon to ask, every look-up fails (and so refuses). A plugin
 * holds nothing while dockerd carries a request out (it is not asked again until the answer),
 * so named volumes are not held: the proxy in front (`both`) holds them.
 */
export class PluginLookups implements DaemonPort {
  readonly layer = 'plugin' as const;
  private reading: Promise<DaemonReading> | undefined;
  /** The same look-ups, with what tenancy asks: for callers whose identity is known. */
  readonly withOwners: DaemonPort;

  constructor(
    private readonly upstream: Address | null,
    private readonly secret: LookupSecret,
    private readonly timeoutMs = 5_000,
  ) {
    const owners: OwnerPort = {
      inspect: async (kind, ref) => {
        const found = await this.ask(inspectPath(kind, ref), `${kind} ${ref}`);
        return found !== null && typeof found === 'object' ? (found as Record<string, unknown>) : undefined;
      },
      fetchJson: (target) => this.fetch(target, MAX_ASSEMBLED_LIST),
      createVolume: (spec) => {
        // A plugin only answers: the volume dockerd would make for this create would be nobody's.
        // `spec` is the volume as the proxy would make it, its owner label on.
        const name = String(spec.Name ?? '');
        const flags = (flag: string, map: unknown) =>
          Object.entries((map ?? {}) as Record<string, unknown>)
            .map(([k, v]) => ` ${flag} ${k}=${String(v)}`)
            .join('');
        const options =
          (typeof spec.Driver === 'string' ? ` --driver ${spec.Driver}` : '') +
          flags('--opt', spec.DriverOpts) +
          flags('--label', spec.Labels);
        throw new Refusal(
          403,
          `volume ${name} does not exist, and dockerd would create it without an owner: create it first (docker volume create${options} ${name}) or run through dockgate serve`,
        );
      },
    };
    this.withOwners = {
      layer: this.layer,
      daemonReading: () => this.daemonReading(),
      lookupVolume: (name) => this.lookupVolume(name),
      lookupContainer: (ref) => this.lookupContainer(ref),
      lookupImage: (name) => this.lookupImage(name),
      holdVolume: () => this.holdVolume(),
      owners,
    };
  }

  holdVolume(): Release {
    return () => {};
  }

  daemonReading(): Promise<DaemonReading> {
    if (this.upstream === null) return Promise.resolve(DOCKERD_20_READING);
    this.reading ??= this.ask('/version', 'the daemon version').then(
      (v) => {
        const major = Number.parseInt(String((v as { Version?: unknown } | undefined)?.Version ?? ''), 10);
        return Number.isFinite(major) && major >= 27 ? { topLevelHostConfig: false } : DOCKERD_20_READING;
      },
      () => {
        this.reading = undefined;
        return DOCKERD_20_READING;
      },
    );
    return this.reading;
  }

  async lookupContainer(ref: string): Promise<InputTarget | null> {
    const found = await this.ask(`/containers/${encodeURIComponent(ref)}/json`, `container ${ref}`);
    if (found === undefined) return null;
    const target = await describeContainer(found, (name) => this.lookupVolume(name));
    const owner = target.labels[OWNER_LABEL];
    return target.owner === null && typeof owner === 'string' && owner !== '' ? { ...target, owner } : target;
  }

  async lookupVolume(name: string): Promise<VolumeInfo | undefined> {
    const v = (await this.ask(`/volumes/${encodeURIComponent(name)}`, `volume ${name}`)) as
      | { Driver?: unknown; Options?: unknown; Labels?: unknown }
      | undefined;
    if (v === undefined) return undefined;
    return {
      Driver: String(v.Driver ?? ''),
      Options: (v.Options as Record<string, string> | null) ?? null,
      Labels: (v.Labels as Record<string, string> | null) ?? null,
    };
  }

  async lookupImage(name: string): Promise<ImageFacts | undefined> {
    const found = await this.ask(`/images/${encodeURIComponent(name)}/json`, `image ${name}`);
    return found === undefined ? undefined : imageFacts(found);
  }

  /** The object's JSON, or undefined when the daemon has none such (404). */
  private async ask(path: string, what: string): Promise<unknown> {
    const answer = await this.fetch(path, undefined, what);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new Error(`${what} look-up answered ${answer.status}`);
    return answer.body;
  }

  private fetch(path: string, maxBytes?: number, what = path): Promise<{ status: number; body: unknown }> {
    if (this.upstream === null)
      return Promise.reject(new Error(`${what} must be looked up, and the plugin has no --upstream to ask`));
    return getDaemonJson(this.upstream, path, {
      deadlineMs: this.timeoutMs,
      headers: this.secret.header,
      ...(maxBytes === undefined ? {} : { maxBytes }),
    });
  }
}
