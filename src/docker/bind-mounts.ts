// Host paths a container create request would mount, as opa-docker-authz's `BindMounts`
// ({Source, ReadOnly, Resolved}) plus the container-side Destination and where the mount came
// from. Beyond opa-docker-authz, a named volume is a bind too when its `local` driver options
// make the kernel mount a host path (`o=bind,device=/etc` mounts /etc whatever `type` says;
// `type=ext4,device=/dev/sda1` a disk; overlay's `lowerdir=/etc`): whether given inline
// (`--mount type=volume,volume-opt=device=...`) or created earlier.
import { realpath } from 'node:fs/promises';
import { posix } from 'node:path';

export interface BindMount {
  Source: string;
  Destination: string;
  ReadOnly: boolean;
  /**
   * The host path after dockerd's lexical clean and the host's symlinks, resolving the longest
   * existing prefix when the path does not exist yet ("" when Source is not absolute).
   */
  Resolved: string;
  /** "bind" for Binds and bind Mounts, "volume:NAME" for a volume backed by a host device. */
  Via: string;
}

/** The parts of a volume a bind judgement needs (GET /volumes/{name}). */
export interface VolumeInfo {
  Driver: string;
  Options: Record<string, string> | null;
  /** Its labels, when the look-up read them (they name its owner). */
  Labels?: Record<string, string> | null;
}

/** A named volume a create would mount, with the driver that provides it ("" when it does not exist yet). */
export interface NamedVolumeUse {
  Name: string;
  Driver: string;
  Destination: string;
  /** The volume exists at the daemon (false: dockerd creates it with the create's driver). */
  Exists: boolean;
  /** Its labels when it exists (null: none, or not read). */
  Labels: Record<string, string> | null;
}

/**
 * Asks the daemon about a named volume. `creates`: the request would create the volume with
 * driver options of its own (a --mount volume with inline options) when it does not exist yet.
 */
export type VolumeLookup = (name: string, creates?: boolean) => Promise<VolumeInfo | undefined>;

interface PendingMount {
  source: string;
  destination: string;
  readOnly: boolean;
  via: string;
}

/**
 * Lists the host paths a container create body mounts. `lookupVolume` is asked about named
 * volumes (absent: named volumes are taken as ordinary volumes, never as binds).
 */
export async function listBindMounts(body: unknown, lookupVolume?: VolumeLookup): Promise<BindMount[]> {
  return (await listMounts(body, lookupVolume)).binds;
}

/** Host paths (binds) and named volumes a container create body mounts. */
export async function listMounts(
  body: unknown,
  lookupVolume?: VolumeLookup,
): Promise<{ binds: BindMount[]; volumes: NamedVolumeUse[] }> {
  const hostConfig = field(body, 'HostConfig');
  const pending: PendingMount[] = [];
  const namedVolumes: { name: string; destination: string; readOnly: boolean; creates?: boolean }[] = [];

  for (const spec of arrayOf(field(hostConfig, 'Binds'))) {
    if (typeof spec !== 'string') continue;
    const parsed = parseBindSpec(spec);
    if (!parsed) continue;
    if (parsed.source.startsWith('/')) pending.push({ ...parsed, via: 'bind' });
    else if (parsed.source !== '')
      namedVolumes.push({ name: parsed.source, destination: parsed.destination, readOnly: parsed.readOnly });
  }

  for (const m of arrayOf(field(hostConfig, 'Mounts'))) {
    const type = field(m, 'Type');
    const source = field(m, 'Source');
    const destination = str(field(m, 'Target'));
    const readOnly = field(m, 'ReadOnly') === true;
    if (type === 'bind' && typeof source === 'string') {
      pending.push({ source, destination, readOnly, via: 'bind' });
    } else if (type === 'volume') {
      const paths = localVolumeHostPaths(field(field(field(m, 'VolumeOptions'), 'DriverConfig'), 'Options'));
      // Inline driver options create the volume with them: judge each host path as a bind. A
      // volume that exists already is used as it is, whatever the inline options say: look it up too.
      for (const p of paths) pending.push({ source: p, destination, readOnly, via: `volume:${str(source)}` });
      const inline = field(field(field(m, 'VolumeOptions'), 'DriverConfig'), 'Options');
      const creates = typeof inline === 'object' && inline !== null && Object.keys(inline).length > 0;
      if (typeof source === 'string' && source !== '')
        namedVolumes.push({ name: source, destination, readOnly, creates });
    }
  }

  const volumes: NamedVolumeUse[] = [];
  if (lookupVolume) {
    for (const v of namedVolumes) {
      const info = await lookupVolume(v.name, v.creates);
      volumes.push({
        Name: v.name,
        Driver: info?.Driver ?? '',
        Destination: v.destination,
        Exists: info !== undefined,
        Labels: info?.Labels ?? null,
      });
      if (info === undefined || !isLocalDriver(info.Driver)) continue;
      for (const p of localVolumeHostPaths(info.Options))
        pending.push({ source: p, destination: v.destination, readOnly: v.readOnly, via: `volume:${v.name}` });
    }
  }

  const binds = await Promise.all(
    pending.map(async (p) => ({
      Source: p.source,
      Destination: p.destination,
      ReadOnly: p.readOnly,
      Resolved: await resolveHostPath(p.source),
      Via: p.via,
    })),
  );
  return { binds, volumes };
}

/** dockerd's built-in volume driver (an empty name means the default, local). */
export function isLocalDriver(driver: string): boolean {
  return driver === '' || driver === 'local';
}

/**
 * Every host path the kernel would use when dockerd's `local` driver mounts a volume with these
 * options (`mount -t TYPE -o O DEVICE`). `bind`/`rbind` among the `o` flags makes `device` a
 * bind source whatever `type` says (the kernel ignores the type then); any type but tmpfs takes
 * `device` as a host path (a block device or a directory); overlay's lowerdir, upperdir and
 * workdir name host directories. A relative path is returned as it is: it has no resolved form,
 * so the mount rule refuses it. The pack judges the remaining options by an allowlist.
 */
export function localVolumeHostPaths(options: unknown): string[] {
  if (typeof options !== 'object' || options === null) return [];
  const type = str(field(options, 'type'));
  const device = field(options, 'device');
  const flags = str(field(options, 'o')).split(',');
  const paths: string[] = [];
  const bindLike = flags.some((f) => f.trim() === 'bind' || f.trim() === 'rbind');
  if (typeof device === 'string' && device !== '' && (bindLike || type !== 'tmpfs')) paths.push(device);
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq < 0) continue;
    const key = f.slice(0, eq).trim();
    if (key === 'lowerdir' || key === 'upperdir' || key === 'workdir')
      paths.push(
        ...f
          .slice(eq + 1)
          .split(':')
          .filter(Boolean),
      );
  }
  return paths;
}

/**
 * Docker's Linux bind spec: "SRC:DST[:MODE]" (or just "DST" for an anonymous volume).
 * MODE is a comma list; "ro" makes it read-only.
 */
export function parseBindSpec(spec: string): { source: string; destination: string; readOnly: boolean } | undefined {
  const parts = spec.split(':');
  if (parts.length === 1) return { source: '', destination: parts[0]!, readOnly: false };
  if (parts.length > 3) return undefined; // dockerd refuses it
  const modes = (parts[2] ?? '').split(',');
  return { source: parts[0]!, destination: parts[1]!, readOnly: modes.includes('ro') };
}

/**
 * What the host path means after dockerd cleans it lexically (verified: `-v /a/link/..:/e`
 * mounts /a) and the kernel follows symlinks: realpath of the longest existing prefix, with
 * the rest appended.
 */
export async function resolveHostPath(source: string): Promise<string> {
  if (!source.startsWith('/')) return '';
  const clean = posix.normalize(source).replace(/(.)\/+$/, '$1');
  const parts = clean.split('/').filter(Boolean);
  for (let i = parts.length; i >= 0; i--) {
    const prefix = '/' + parts.slice(0, i).join('/');
    try {
      const real = await realpath(prefix);
      const rest = parts.slice(i);
      return rest.length === 0 ? real : posix.join(real, ...rest);
    } catch {
      // does not exist (or unreadable): try a shorter prefix
    }
  }
  return clean;
}

function field(v: unknown, name: string): unknown {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[name] : undefined;
}

function arrayOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
