// Tenancy in the decision core: many users share one daemon, each sees and reaches only what
// they own (src/tenancy/ownership.ts says who owns what). For a request from an ordinary user:
// - an object it names (container, exec, volume, network, image) is looked up and, when it is
//   somebody else's, the request is answered as dockerd answers an object that does not exist;
// - a list, prune or event stream gets an owner filter in its query, or an answer assembled from
//   the daemon's full one (images, networks, disk usage);
// - a create that names other objects in its body (volumes-from, container:X namespaces, links,
//   named volumes, networks) must name the caller's own, and a name another user's object holds
//   is refused with a 409 that does not say whose it is.
// Everything created through dockgate, by anybody, is stamped with its creator's owner label,
// and a client cannot set that label itself.
import { localVolumeHostPaths, type NamedVolumeUse } from '../docker/bind-mounts.js';
import type { ParsedDockerfile } from '../docker/dockerfile.js';
import { parseFilters, withLabelFilter, withQueryParam, withQueryParamAppended } from '../docker/filters.js';
import { familiarName } from '../docker/image-name.js';
import { writtenImageTags } from '../docker/image-refs.js';
import type { InputTarget } from '../docker/input.js';
import { filterContainerNotFound, imageNotFound, NotFound, Refusal } from '../docker/refusal.js';
import type { RoutedRequest } from '../docker/request.js';
import type { OwnedKind } from '../docker/routes.js';
import { FixedFacts, ownerOf, reaches, type Tenant } from '../tenancy/index.js';
import type { Config } from './config.js';

export interface TenancySettings {
  ownerLabel: string;
  sharedImages: boolean;
  /**
   * What the quotas rule needs to know of a user's running containers when one starts: nothing,
   * how many run, or also the GPUs they hold.
   */
  usage: 'none' | 'running' | 'gpus';
}

/** The config's [tenancy], or null when tenancy is off. */
export function tenancySettings(config: Config): TenancySettings | null {
  const t = config.tenancy as { enabled: boolean; owner_label: string; shared_images: boolean } | undefined;
  if (!t?.enabled) return null;
  return { ownerLabel: t.owner_label, sharedImages: t.shared_images, usage: usageNeeded(config) };
}

/** Whether any [quotas] table (defaults, a user's, a group's) sets a per-user total. */
function usageNeeded(config: Config): TenancySettings['usage'] {
  const rules = config.rules as Record<string, { enabled?: boolean }> | undefined;
  const quotas = config.quotas as (Record<string, unknown> & { users?: object; groups?: object }) | undefined;
  if (!rules?.quotas?.enabled || !quotas) return 'none';
  const tables = [quotas, ...Object.values(quotas.users ?? {}), ...Object.values(quotas.groups ?? {})] as Record<
    string,
    unknown
  >[];
  const sets = (key: string) => tables.some((t) => typeof t[key] === 'number' && (t[key] as number) > 0);
  if (sets('max_gpus')) return 'gpus';
  return sets('max_running') ? 'running' : 'none';
}

/** What the quotas rule reads of the caller's other running containers (`input.usage`). */
export interface Usage {
  /** How many of the caller's containers run (paused and restarting included), the target not counted. */
  running: number;
  /** The device requests of each of them (read only when a GPU total is configured). */
  device_requests: unknown[][];
  /** The device requests of the container being started. */
  target_device_requests: unknown[];
}

/** What tenancy asks the daemon, besides the decision core's own look-ups. */
export interface OwnerPort {
  /** The object's inspect JSON (GET /exec|volumes|networks|images/REF[/json]); undefined: none such. */
  inspect(kind: Exclude<OwnedKind, 'container'>, ref: string): Promise<Record<string, unknown> | undefined>;
  /** GET `target` (path and query, as a client sent it): the daemon's status and JSON answer. */
  fetchJson(target: string): Promise<{ status: number; body: unknown }>;
  /** POST /volumes/create with `spec`: the daemon's status and answer. */
  createVolume(spec: Record<string, unknown>): Promise<{ status: number; body: unknown }>;
}

/** The daemon's predefined networks: anybody may see them and connect their own containers. */
const PREDEFINED_NETWORKS: ReadonlySet<string> = new Set(['bridge', 'host', 'none']);

/** Network modes that name no network object of anybody's. */
const NETWORK_MODES_WITHOUT_OBJECT: ReadonlySet<string> = new Set(['', 'default', 'bridge', 'host', 'none']);

/** Actions that make an image or point a tag at one. */
const IMAGE_WRITES: ReadonlySet<string> = new Set([
  'image.tag',
  'image.build',
  'container.commit',
  'image.import',
  'image.load',
]);

/** Actions whose body carries the created object's labels. */
const LABELLED_CREATES: ReadonlySet<string> = new Set(['container.create', 'volume.create', 'network.create']);

/**
 * Somebody else's objects met while judging one request. Each is judged as an object that does
 * not exist: the policy decides first, and only a request it allows gets dockerd's "no such"
 * answer, as a request naming a missing object would. Refusing earlier would tell the two apart
 * whenever the policy refuses something else in the same request.
 */
export class Unseen {
  private first: NotFound | undefined;

  /** What `work` gives, or `absent` when it met somebody else's object. */
  async absentIf<T>(work: Promise<T>, absent: T): Promise<T> {
    try {
      return await work;
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
      this.first ??= err;
      return absent;
    }
  }

  /** The answer owed once the policy allows the request (undefined: none). */
  get answer(): NotFound | undefined {
    return this.first;
  }
}

export class Tenancy {
  /** Exec id → the id of its container. */
  private readonly execContainers = new FixedFacts<string>();
  /** Container id → its owner label (null: none). */
  private readonly containerOwners = new FixedFacts<string | null>();

  constructor(
    readonly settings: TenancySettings,
    private readonly lookupContainer: (ref: string) => Promise<InputTarget | null>,
    private readonly port: OwnerPort,
  ) {}

  /**
   * Whether judging this request needs the daemon for tenancy's sake (then it is judged on the
   * asynchronous path): what it names, lists by an assembled answer, or creates.
   */
  needsDaemon(routed: RoutedRequest, tenant: Tenant): boolean {
    const { traits, action } = routed.route;
    if (LABELLED_CREATES.has(action) || action === 'container.rename') return true;
    // Admins reach everything: what they name is looked up only when the policy's input needs it.
    if (tenant.admin) return false;
    return (
      traits.names !== undefined ||
      traits.listing === 'answer' ||
      IMAGE_WRITES.has(action) ||
      action === 'image.save' ||
      listFilterReferences(routed).length > 0
    );
  }

  /**
   * The target to forward instead of the one received (undefined: as received): a list with the
   * caller's owner filter, or a build with the owner label.
   */
  forwardedTarget(routed: RoutedRequest, target: string, tenant: Tenant): string | undefined {
    return this.filteredTarget(routed, target, tenant) ?? this.stampedQuery(routed, target, tenant);
  }

  /** A list, prune or event stream with the caller's owner filter added (undefined: as sent). */
  private filteredTarget(routed: RoutedRequest, target: string, tenant: Tenant): string | undefined {
    if (tenant.admin || routed.route.traits.listing !== 'filter') return undefined;
    return withLabelFilter(target, `${this.settings.ownerLabel}=${tenant.user}`);
  }

  /**
   * The object the request names, when the caller may reach it; throws NotFound when it is
   * somebody else's. Returns it as `input.target` shows it (null: none such; undefined: the
   * request names nothing), and the id to forward instead of the name or prefix sent, if any.
   */
  async checkNamed(routed: RoutedRequest, tenant: Tenant): Promise<{ target?: InputTarget | null; pinnedId?: string }> {
    const kind = routed.route.traits.names;
    const ref = routed.route.resource.ref;
    if (routed.route.action === 'image.save' && ref === null) {
      for (const name of routed.apiPath.queryAll.names ?? []) await this.image(name, tenant, 'use', 'save');
      return {};
    }
    if (kind === undefined || ref === null) return {};
    switch (kind) {
      case 'container':
        return { target: await this.container(ref, tenant) };
      case 'exec':
        return { target: await this.exec(ref, tenant) };
      case 'volume': {
        const volume = await this.port.inspect('volume', ref);
        if (volume === undefined) return { target: null };
        const target = this.described('volume', volume, tenant, { name: ref });
        if (!reaches(tenant, target.owner)) throw new NotFound('volume', ref);
        return { target };
      }
      case 'network': {
        const network = await this.port.inspect('network', ref);
        if (network === undefined) return { target: null };
        const target = this.described('network', network, tenant);
        if (!reaches(tenant, target.owner, isPredefined(network))) throw new NotFound('network', ref);
        return { target, pinnedId: target.id || undefined };
      }
      case 'image':
        return {
          target: await this.image(
            ref,
            tenant,
            IMAGE_USES[routed.route.action] ?? 'use',
            routed.route.action === 'image.inspect'
              ? 'inspect'
              : routed.route.action === 'image.save'
                ? 'save'
                : 'other',
          ),
        };
    }
  }

  /** An object's inspect answer as `input.target` shows it, with its owner. */
  private described(
    type: 'volume' | 'network' | 'image',
    found: Record<string, unknown>,
    tenant: Tenant,
    given: { name?: string } = {},
  ): InputTarget {
    const labels = (type === 'image' ? (found.Config as { Labels?: unknown } | null)?.Labels : found.Labels) ?? {};
    const owner = ownerOf(labels, this.settings.ownerLabel);
    const name = given.name ?? (typeof found.Name === 'string' ? found.Name : '');
    return {
      type,
      id: typeof found.Id === 'string' ? found.Id : name,
      name,
      owner,
      mine: owner !== null && owner === tenant.user,
      labels: typeof labels === 'object' && labels !== null ? (labels as Record<string, string>) : {},
      user: type === 'image' ? String((found.Config as { User?: unknown } | null)?.User ?? '') : '',
      host_mounts: type === 'volume' && localVolumeHostPaths(found.Options).length > 0,
    };
  }

  /** A container as looked up, with its owner as `input.target` shows it. */
  owned(found: InputTarget, tenant: Tenant): InputTarget {
    const owner = ownerOf(found.labels, this.settings.ownerLabel);
    return { ...found, owner, mine: owner !== null && owner === tenant.user };
  }

  /** The container `ref` names, with its owner; NotFound when the caller may not reach it. */
  async container(ref: string, tenant: Tenant, kind: 'container' = 'container'): Promise<InputTarget | null> {
    const found = await this.lookupContainer(ref);
    if (found === null) return null;
    const target = this.owned(found, tenant);
    if (found.id) this.containerOwners.set(found.id, target.owner);
    if (!reaches(tenant, target.owner)) throw new NotFound(kind, ref);
    return target;
  }

  /** An exec instance reaches its container: the caller must reach that container. */
  private async exec(ref: string, tenant: Tenant): Promise<InputTarget | null> {
    let containerId = this.execContainers.get(ref);
    if (containerId === undefined) {
      const exec = await this.port.inspect('exec', ref);
      if (exec === undefined) return null; // none such: dockerd says so itself
      containerId = typeof exec.ContainerID === 'string' ? exec.ContainerID : '';
      if (typeof exec.ID === 'string' && exec.ID === ref) this.execContainers.set(ref, containerId);
    }
    let owner = this.containerOwners.get(containerId);
    if (owner === undefined) {
      const container = await this.lookupContainer(containerId);
      if (container === null) throw new NotFound('exec', ref); // its container is gone
      owner = ownerOf(container.labels, this.settings.ownerLabel);
      this.containerOwners.set(containerId, owner);
    }
    if (!reaches(tenant, owner)) throw new NotFound('exec', ref);
    return {
      type: 'exec',
      id: ref,
      name: '',
      owner,
      mine: owner === tenant.user,
      labels: {},
      user: '',
      host_mounts: false,
    };
  }

  /**
   * An image the caller may use: their own, or a shared one. Removing a shared one, or giving it
   * another name, is an admin's: a tag on a shared image belongs to nobody, so no user could
   * later move or remove it.
   */
  private async image(
    ref: string,
    tenant: Tenant,
    use: ImageUse,
    wording: Parameters<typeof imageNotFound>[1] = 'other',
  ): Promise<InputTarget | null> {
    const image = await this.port.inspect('image', ref);
    if (image === undefined) return null;
    const target = this.described('image', image, tenant, { name: ref });
    if (!reaches(tenant, target.owner, this.settings.sharedImages)) throw imageNotFound(ref, wording);
    if (use !== 'use' && target.owner === null && !tenant.admin)
      throw new Refusal(
        403,
        use === 'remove'
          ? `image ${ref} is shared by every user of this daemon; only an admin can remove it`
          : `image ${ref} is shared by every user of this daemon; only an admin can give it another name (build FROM it to make an image of your own)`,
      );
    return target;
  }

  /**
   * Whether the caller may see image `ref` (absent images included: dockerd would pull them).
   * A build plan looks its base images up through this, so that somebody else's image reads
   * exactly as one the daemon does not have.
   */
  async imageVisible(ref: string, tenant: Tenant): Promise<boolean> {
    if (tenant.admin) return true;
    const image = await this.port.inspect('image', ref);
    if (image === undefined) return true;
    return reaches(tenant, this.described('image', image, tenant).owner, this.settings.sharedImages);
  }

  /**
   * The images a request uses or writes, beyond the one its path names: a list's since/before
   * filters, a build's bases, COPY --from images and cache sources, and every tag it creates or
   * moves, which must be new or name one of the caller's own images.
   */
  async checkImages(routed: RoutedRequest, dockerfile: ParsedDockerfile | undefined, tenant: Tenant): Promise<void> {
    if (tenant.admin) return;
    const { action } = routed.route;
    if (action === 'image.load')
      throw new Refusal(
        403,
        'docker load is for admins: a loaded image carries no owner and would be shared with every user; use docker import, which makes the image yours, or ask an admin',
      );
    for (const { kind, ref } of listFilterReferences(routed))
      if (kind === 'image') await this.image(ref, tenant, 'use');
      else
        await this.container(ref, tenant).catch((err: unknown) => {
          throw err instanceof NotFound ? filterContainerNotFound(ref) : err;
        });
    if (action === 'image.build') await this.checkBuild(routed, dockerfile, tenant);
    for (const tag of writtenImageTags(routed)) {
      const repo = familiarName(tag.slice(0, tag.lastIndexOf(':')));
      if (readsAsIdPrefix(repo)) throw idLikeName('image', repo);
      const image = await this.port.inspect('image', tag);
      if (
        image !== undefined &&
        ownerOf(this.described('image', image, tenant).labels, this.settings.ownerLabel) !== tenant.user
      )
        throw new Refusal(409, `the image name "${tag}" already names an image that is not yours; choose another name`);
    }
  }

  /**
   * A build an ordinary user may run once the policy allowed it: the classic builder's cache is
   * everybody's and its key leaves out extra hosts and the build network, so a layer built with
   * them would be reused by another user's identical build.
   */
  checkBuildCache(routed: RoutedRequest, tenant: Tenant): void {
    if (tenant.admin || routed.route.action !== 'image.build') return;
    const { extrahosts, networkmode } = routed.apiPath.query;
    if (
      (extrahosts !== undefined && extrahosts !== '' && extrahosts !== '[]' && extrahosts !== 'null') ||
      (networkmode !== undefined && networkmode !== '' && networkmode !== 'default')
    )
      throw new Refusal(
        403,
        "a build's --add-host and --network are not in the build cache's key, which every user shares; build without them",
      );
  }

  /** A build's base images, COPY --from images and cache sources must be the caller's or shared. */
  private async checkBuild(routed: RoutedRequest, dockerfile: ParsedDockerfile | undefined, tenant: Tenant) {
    if (dockerfile === undefined)
      throw new Refusal(403, 'a build whose Dockerfile dockgate cannot read cannot be checked for the images it uses');
    const stages = new Set<string>();
    for (const ins of dockerfile.instructions) {
      if (ins.cmd === 'FROM' && ins.base) {
        if (ins.base.kind === 'unknown')
          throw new Refusal(
            403,
            `the base image of FROM ${ins.base.name} cannot be known, so its owner cannot be checked`,
          );
        // A base somebody else owns was planned as absent (imageVisible); it must not be built.
        if (ins.base.kind === 'image') await this.image(ins.base.name, tenant, 'use');
        const as = ins.args[2];
        if (ins.args[1]?.toLowerCase() === 'as' && as !== undefined) stages.add(as.toLowerCase());
      }
      const from = (ins.cmd === 'COPY' || ins.cmd === 'ADD') && ins.flags.from;
      if (typeof from === 'string' && from !== '') {
        if (from.includes('$'))
          throw new Refusal(403, `COPY --from=${from}: a variable there cannot be checked; name the image or stage`);
        if (!stages.has(from.toLowerCase()) && !/^\d+$/.test(from)) await this.image(from, tenant, 'use');
      }
    }
    for (const ref of stringArray(routed.apiPath.query.cachefrom)) await this.image(ref, tenant, 'use');
  }

  /**
   * The body with the caller's owner label stamped on the object it creates (undefined: the
   * request creates nothing labelled). A label under the owner label's name set by the client
   * is refused unless it already names the caller: ownership cannot be claimed or given away.
   */
  stampedBody(action: string, body: unknown, tenant: Tenant): Record<string, unknown> | undefined {
    if (!LABELLED_CREATES.has(action)) return undefined;
    const object = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
    const labels = this.checkedLabels(object.Labels, tenant);
    const stamped: Record<string, unknown> = {
      ...object,
      Labels: { ...labels, [this.settings.ownerLabel]: tenant.user },
    };
    if (action === 'container.create') {
      // Volumes a --mount creates get the owner label too (dockerd applies VolumeOptions.Labels).
      const hostConfig = object.HostConfig as { Mounts?: unknown } | null | undefined;
      if (hostConfig && Array.isArray(hostConfig.Mounts))
        stamped.HostConfig = { ...hostConfig, Mounts: hostConfig.Mounts.map((m) => this.stampedMount(m, tenant)) };
    }
    return stamped;
  }

  /** Whether a body a policy rewrote still carries the owner label stampedBody put on it. */
  keepsStamp(action: string, body: unknown, tenant: Tenant): boolean {
    if (!LABELLED_CREATES.has(action)) return true;
    const labels = (body as { Labels?: Record<string, unknown> | null } | null)?.Labels;
    return labels?.[this.settings.ownerLabel] === tenant.user;
  }

  private stampedMount(mount: unknown, tenant: Tenant): unknown {
    const m = mount as { Type?: unknown; VolumeOptions?: { Labels?: unknown } | null } | null;
    if (m === null || typeof m !== 'object' || m.Type !== 'volume') return mount;
    const options = m.VolumeOptions ?? {};
    const labels = this.checkedLabels(options.Labels, tenant);
    return { ...m, VolumeOptions: { ...options, Labels: { ...labels, [this.settings.ownerLabel]: tenant.user } } };
  }

  private checkedLabels(labels: unknown, tenant: Tenant): Record<string, unknown> {
    if (labels === null || labels === undefined) return {};
    if (typeof labels !== 'object' || Array.isArray(labels)) return {}; // dockerd refuses it (not a map)
    const given = labels as Record<string, unknown>;
    const claimed = given[this.settings.ownerLabel];
    if (claimed !== undefined && claimed !== tenant.user)
      throw new Refusal(
        403,
        `the label ${this.settings.ownerLabel} is set by dockgate to the object's creator; remove it from the request`,
      );
    return given;
  }

  /**
   * A build's, commit's or import's query with the owner label: the target to forward instead,
   * or undefined when unchanged. An ordinary user's commit or import gets a LABEL change after every other
   * change: dockerd applies them in order over the body's and the container's labels, so the
   * last one sets the label whatever the client spelled before it.
   */
  private stampedQuery(routed: RoutedRequest, target: string, tenant: Tenant): string | undefined {
    const { action } = routed.route;
    if (action === 'container.commit' || action === 'image.import') {
      // An admin's commit or import stays as made: without a label of its own it is shared, which
      // is how admins provide base images to everybody.
      if (tenant.admin) return undefined;
      const label = `LABEL ${JSON.stringify(this.settings.ownerLabel)}=${JSON.stringify(tenant.user)}`;
      return withQueryParamAppended(target, 'changes', label);
    }
    if (action !== 'image.build') return undefined;
    let labels: Record<string, unknown> = {};
    const given = routed.apiPath.query.labels;
    if (given !== undefined && given !== '') {
      try {
        const parsed = JSON.parse(given) as unknown;
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
          labels = parsed as Record<string, unknown>;
        else if (parsed !== null) throw new Error('not an object');
      } catch {
        throw new Refusal(400, 'the build labels are not a JSON object');
      }
    }
    const stamped = { ...this.checkedLabels(labels, tenant), [this.settings.ownerLabel]: tenant.user };
    return withQueryParam(target, 'labels', JSON.stringify(stamped));
  }

  /**
   * A create or rename whose name another user's object holds: refused with a 409 that does not
   * say whose it is (dockerd's own 409 would name the other container's id).
   */
  async checkName(routed: RoutedRequest, body: unknown, tenant: Tenant): Promise<void> {
    if (tenant.admin) return;
    const { action } = routed.route;
    const b = (body ?? {}) as { Name?: unknown };
    if (action === 'container.create' || action === 'container.rename') {
      const name = routed.apiPath.query.name;
      if (!name) return;
      if (readsAsIdPrefix(name.replace(/^\//, ''))) throw idLikeName('container', name);
      const found = await this.lookupContainer(name);
      if (
        found &&
        found.name === name.replace(/^\//, '') &&
        !reaches(tenant, ownerOf(found.labels, this.settings.ownerLabel))
      )
        throw nameTaken('container', name);
    } else if (action === 'volume.create' && typeof b.Name === 'string' && b.Name !== '') {
      const volume = await this.port.inspect('volume', b.Name);
      if (volume && !reaches(tenant, ownerOf(volume.Labels, this.settings.ownerLabel)))
        throw nameTaken('volume', b.Name);
    } else if (action === 'network.create' && typeof b.Name === 'string' && b.Name !== '') {
      const network = await this.port.inspect('network', b.Name);
      if (network && network.Name === b.Name && !reaches(tenant, ownerOf(network.Labels, this.settings.ownerLabel)))
        throw nameTaken('network', b.Name);
    }
  }

  /**
   * The containers, volumes and networks a body names must be the caller's own (or not exist
   * yet, for volumes). Returns the containers it joins, as `input.request.references` shows them.
   */
  async checkReferences(
    action: string,
    body: unknown,
    volumes: readonly NamedVolumeUse[],
    tenant: Tenant,
    unseen: Unseen,
  ) {
    const references: (InputTarget & { field: string; ref: string })[] = [];
    if (tenant.admin) return references;
    const b = (body ?? {}) as Record<string, unknown>;
    if (action === 'network.connect' || action === 'network.disconnect') {
      if (typeof b.Container === 'string' && b.Container !== '')
        await unseen.absentIf(this.container(b.Container, tenant), null);
      return references;
    }
    if (action !== 'container.create' && action !== 'container.start') return references;
    if (action === 'container.create' && typeof b.Image === 'string' && b.Image !== '')
      await unseen.absentIf(this.image(b.Image, tenant, 'use'), null);
    const hostConfig = (action === 'container.start' ? b : (b.HostConfig ?? {})) as Record<string, unknown>;
    for (const { field, ref } of containerReferences(hostConfig)) {
      const found = await unseen.absentIf(
        this.container(ref, tenant).catch((err: unknown) => {
          throw err instanceof NotFound ? missingReference(field, ref) : err;
        }),
        null,
      );
      if (found) references.push({ ...found, field, ref });
    }
    for (const v of volumes) {
      if (v.Exists && !reaches(tenant, ownerOf(v.Labels, this.settings.ownerLabel))) throw nameTaken('volume', v.Name);
    }
    for (const name of networkReferences(hostConfig, b.NetworkingConfig)) {
      const network = await this.port.inspect('network', name);
      if (network && !reaches(tenant, ownerOf(network.Labels, this.settings.ownerLabel), isPredefined(network)))
        await unseen.absentIf(Promise.reject(new NotFound('network', name)), undefined);
    }
    return references;
  }

  /**
   * Named volumes a create would have dockerd make (without an owner): made first, through
   * dockgate, with the caller's owner label. A volume that appeared meanwhile must be the caller's.
   */
  async createVolumes(body: unknown, volumes: readonly NamedVolumeUse[], tenant: Tenant): Promise<void> {
    const hostConfig = ((body ?? {}) as { HostConfig?: Record<string, unknown> }).HostConfig ?? {};
    for (const v of volumes) {
      if (v.Exists) continue;
      const spec = volumeSpec(v.Name, hostConfig);
      spec.Labels = {
        ...((spec.Labels as Record<string, unknown> | undefined) ?? {}),
        [this.settings.ownerLabel]: tenant.user,
      };
      const made = await this.port.createVolume(spec);
      if (made.status !== 201 && made.status !== 200)
        throw new Refusal(
          made.status >= 400 && made.status < 500 ? made.status : 502,
          `volume ${v.Name} could not be created: ${(made.body as { message?: unknown } | null)?.message ?? made.status}`,
        );
      const owner = ownerOf((made.body as { Labels?: unknown } | null)?.Labels, this.settings.ownerLabel);
      if (!reaches(tenant, owner)) throw nameTaken('volume', v.Name);
    }
  }

  /**
   * The caller's running containers, for per-user totals, when a container starts; undefined
   * when the config sets no total or the action starts nothing.
   */
  async usage(action: string, target: InputTarget | null | undefined, tenant: Tenant): Promise<Usage | undefined> {
    if (
      this.settings.usage === 'none' ||
      tenant.admin ||
      (action !== 'container.start' && action !== 'container.restart')
    )
      return undefined;
    const filters = {
      label: [`${this.settings.ownerLabel}=${tenant.user}`],
      status: ['running', 'paused', 'restarting'],
    };
    const list = await this.port.fetchJson(`/containers/json?filters=${encodeURIComponent(JSON.stringify(filters))}`);
    if (list.status !== 200) throw new Error(`listing the caller's running containers answered ${list.status}`);
    const ids = arrayOf(list.body)
      .map((c) => (c as { Id?: unknown }).Id)
      .filter((id): id is string => typeof id === 'string' && id !== target?.id);
    const usage: Usage = { running: ids.length, device_requests: [], target_device_requests: [] };
    if (this.settings.usage === 'gpus') {
      for (const id of ids) usage.device_requests.push(await this.deviceRequests(id));
      if (target?.id) usage.target_device_requests = await this.deviceRequests(target.id);
    }
    return usage;
  }

  /** The ids of the caller's containers, running or not. */
  private async ownContainerIds(tenant: Tenant): Promise<ReadonlySet<string>> {
    const filters = { label: [`${this.settings.ownerLabel}=${tenant.user}`] };
    const list = await this.port.fetchJson(
      `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify(filters))}`,
    );
    if (list.status !== 200) throw new Error(`listing the caller's containers answered ${list.status}`);
    return new Set(
      arrayOf(list.body)
        .map((c) => (c as { Id?: unknown }).Id)
        .filter((id): id is string => typeof id === 'string'),
    );
  }

  private async deviceRequests(id: string): Promise<unknown[]> {
    const inspect = await this.port.fetchJson(`/containers/${encodeURIComponent(id)}/json`);
    if (inspect.status === 404) return [];
    if (inspect.status !== 200) throw new Error(`inspecting container ${id} answered ${inspect.status}`);
    return arrayOf((inspect.body as { HostConfig?: { DeviceRequests?: unknown } } | null)?.HostConfig?.DeviceRequests);
  }

  /** Whether tenancy answers this request itself, from the daemon's full answer. */
  answers(routed: RoutedRequest, tenant: Tenant): boolean {
    return !tenant.admin && (routed.route.traits.listing === 'answer' || routed.route.action === 'network.inspect');
  }

  /**
   * The answer to a list dockerd cannot filter by owner the way tenancy needs (images shared
   * with everybody, predefined networks, disk usage), or to a network's inspect (whose
   * containers may be anybody's): the daemon's full answer, with only what the caller may see.
   */
  async answer(routed: RoutedRequest, target: string, tenant: Tenant): Promise<{ status: number; body: unknown }> {
    const answer = await this.port.fetchJson(target);
    if (answer.status !== 200) return answer;
    const key = this.settings.ownerLabel;
    const mineOrShared = (labels: unknown, shared: boolean) => reaches(tenant, ownerOf(labels, key), shared);
    const images = (list: unknown) =>
      arrayOf(list).filter((i) => mineOrShared((i as { Labels?: unknown }).Labels, this.settings.sharedImages));
    switch (routed.route.action) {
      case 'image.list':
        return { status: 200, body: images(answer.body) };
      case 'network.list': {
        const mine = await this.ownContainerIds(tenant);
        return {
          status: 200,
          body: arrayOf(answer.body)
            .filter((n) => mineOrShared((n as { Labels?: unknown }).Labels, isPredefined(n)))
            .map((n) => withOwnContainers(n, mine)),
        };
      }
      case 'network.inspect':
        return { status: 200, body: withOwnContainers(answer.body, await this.ownContainerIds(tenant)) };
      case 'system.df': {
        const df = (answer.body ?? {}) as Record<string, unknown>;
        const volumes = arrayOf(df.Volumes).filter((v) => mineOrShared((v as { Labels?: unknown }).Labels, false));
        return {
          status: 200,
          body: {
            ...df,
            Images: images(df.Images),
            Containers: arrayOf(df.Containers).filter((c) => mineOrShared((c as { Labels?: unknown }).Labels, false)),
            Volumes: volumes,
            // The build cache has no owner: it is nobody's to see.
            BuildCache: [],
          },
        };
      }
      default:
        throw new Error(`no assembled answer for ${routed.route.action}`);
    }
  }
}

/** How a request uses the image its path names. */
type ImageUse = 'use' | 'remove' | 'rename';

const IMAGE_USES: Readonly<Record<string, ImageUse>> = { 'image.delete': 'remove', 'image.tag': 'rename' };

/**
 * The objects a list's `since`/`before` filters name: dockerd looks each one up and answers 404
 * when it does not exist, so somebody else's must answer the same.
 */
function listFilterReferences(routed: RoutedRequest): { kind: 'container' | 'image'; ref: string }[] {
  const { action } = routed.route;
  if (action !== 'container.list' && action !== 'image.list') return [];
  const text = routed.apiPath.query.filters;
  if (text === undefined || !(text.includes('since') || text.includes('before'))) return [];
  const filters = parseFilters(text);
  const kind = action === 'container.list' ? 'container' : 'image';
  return ['since', 'before'].flatMap((name) => [...(filters.get(name)?.keys() ?? [])].map((ref) => ({ kind, ref })));
}

/** A query value holding a JSON array of strings (anything else: none). */
function stringArray(text: string | undefined): string[] {
  if (!text) return [];
  try {
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
  } catch {
    return [];
  }
}

/**
 * A create naming somebody else's container, answered as dockerd 20.10 answers one naming a
 * missing container: a 400, worded per field. (It accepts `--network container:X` for a missing
 * X and fails at start; that one cannot be answered alike, since the create must not be made.)
 */
function missingReference(field: string, ref: string): NotFound {
  const missing = `No such container: ${ref}`;
  return new NotFound(
    'container',
    ref,
    400,
    field.startsWith('HostConfig.Links') ? `could not get container for ${ref}: ${missing}` : missing,
  );
}

/**
 * A name made only of lower-case hex digits: dockerd reads it as an id prefix once no object
 * holds it as a name, so a user's own such name, removed or renamed between dockgate's look-up
 * and dockerd's, would make a request judged on the user's object act on somebody else's.
 */
function readsAsIdPrefix(name: string): boolean {
  return /^[0-9a-f]+$/.test(name);
}

function idLikeName(kind: 'container' | 'image', name: string): Refusal {
  return new Refusal(
    403,
    `the ${kind} name "${name}" is made only of hex digits, which docker also reads as an id prefix; choose a name with another letter in it`,
  );
}

function nameTaken(kind: string, name: string): Refusal {
  return new Refusal(409, `the ${kind} name "${name}" is in use by another user; choose another name`);
}

function isPredefined(network: unknown): boolean {
  const name = (network as { Name?: unknown } | null)?.Name;
  return typeof name === 'string' && PREDEFINED_NETWORKS.has(name);
}

/** A network as inspect shows it, with only the caller's containers among those attached. */
function withOwnContainers(network: unknown, mine: ReadonlySet<string>): unknown {
  if (network === null || typeof network !== 'object') return network;
  const n = network as { Containers?: unknown };
  if (n.Containers === null || typeof n.Containers !== 'object') return network;
  const kept = Object.entries(n.Containers as Record<string, unknown>).filter(([id]) => mine.has(id));
  return { ...n, Containers: Object.fromEntries(kept) };
}

function arrayOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The containers a HostConfig joins or links to, with the field that names each. */
function containerReferences(hostConfig: Record<string, unknown>): { field: string; ref: string }[] {
  const refs: { field: string; ref: string }[] = [];
  for (const field of ['NetworkMode', 'PidMode', 'IpcMode'] as const) {
    const mode = hostConfig[field];
    if (typeof mode === 'string' && mode.startsWith('container:'))
      refs.push({ field: `HostConfig.${field}`, ref: mode.slice('container:'.length) });
  }
  arrayOf(hostConfig.VolumesFrom).forEach((spec, i) => {
    // "NAME[:ro|rw]"
    if (typeof spec === 'string' && spec !== '')
      refs.push({ field: `HostConfig.VolumesFrom[${i}]`, ref: spec.split(':', 1)[0]! });
  });
  arrayOf(hostConfig.Links).forEach((link, i) => {
    // "NAME:ALIAS", the name with or without its leading slash
    if (typeof link === 'string' && link !== '')
      refs.push({ field: `HostConfig.Links[${i}]`, ref: link.split(':', 1)[0]!.replace(/^\//, '') });
  });
  return refs.filter((r) => r.ref !== '');
}

/** The user-defined networks a create connects to. */
function networkReferences(hostConfig: Record<string, unknown>, networking: unknown): string[] {
  const names = new Set<string>();
  const mode = hostConfig.NetworkMode;
  if (typeof mode === 'string' && !NETWORK_MODES_WITHOUT_OBJECT.has(mode) && !mode.startsWith('container:'))
    names.add(mode);
  const endpoints = (networking as { EndpointsConfig?: unknown } | null)?.EndpointsConfig;
  if (endpoints && typeof endpoints === 'object')
    for (const name of Object.keys(endpoints)) if (!NETWORK_MODES_WITHOUT_OBJECT.has(name)) names.add(name);
  return [...names];
}

/** How dockerd would create named volume `name` for a container: its mount's driver and options. */
function volumeSpec(name: string, hostConfig: Record<string, unknown>): Record<string, unknown> {
  for (const m of arrayOf(hostConfig.Mounts)) {
    const mount = m as { Type?: unknown; Source?: unknown; VolumeOptions?: Record<string, unknown> | null };
    if (mount?.Type !== 'volume' || mount.Source !== name) continue;
    const driver = (mount.VolumeOptions?.DriverConfig ?? {}) as { Name?: unknown; Options?: unknown };
    return {
      Name: name,
      ...(typeof driver.Name === 'string' && driver.Name !== '' ? { Driver: driver.Name } : {}),
      ...(driver.Options && typeof driver.Options === 'object' ? { DriverOpts: driver.Options } : {}),
      ...(mount.VolumeOptions?.Labels && typeof mount.VolumeOptions.Labels === 'object'
        ? { Labels: mount.VolumeOptions.Labels }
        : {}),
    };
  }
  const driver = hostConfig.VolumeDriver;
  return { Name: name, ...(typeof driver === 'string' && driver !== '' ? { Driver: driver } : {}) };
}
