// Host paths a container create request would mount, as opa-docker-authz's `BindMounts`
// ({Source, ReadOnly, Resolved}) plus the container-side Destination and where the mount came
// from. Beyond opa-docker-authz, a named volume is a bind too when its `local` driver options
// carry a `device` (`o=bind,device=/etc` mounts /etc; `type=ext4,device=/dev/sda1` a disk):
// whether given inline (`--mount type=volume,volume-opt=device=...`) or created earlier.
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
}

export type VolumeLookup = (name: string) => Promise<VolumeInfo | undefined>;

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
  const hostConfig = field(body, 'HostConfig');
  const pending: PendingMount[] = [];
  const namedVolumes: { name: string; destination: string; readOnly: boolean }[] = [];

  for (const spec of arrayOf(field(hostConfig, 'Binds'))) {
    if (typeof spec !== 'string') continue;
    const parsed = parseBindSpec(spec);
    if (!parsed) continue;
    if (parsed.source.startsWith('/')) pending.push({ ...parsed, via: 'bind' });
    else if (parsed.source !== '') namedVolumes.push({ name: parsed.source, destination: parsed.destination, readOnly: parsed.readOnly });
  }

  for (const m of arrayOf(field(hostConfig, 'Mounts'))) {
    const type = field(m, 'Type');
    const source = field(m, 'Source');
    const destination = str(field(m, 'Target'));
    const readOnly = field(m, 'ReadOnly') === true;
    if (type === 'bind' && typeof source === 'string') {
      pending.push({ source, destination, readOnly, via: 'bind' });
    } else if (type === 'volume') {
      const device = hostDevice(field(field(field(m, 'VolumeOptions'), 'DriverConfig'), 'Options'));
      if (device !== undefined) {
        // Inline driver options create the volume with them: judge the device as a bind.
        pending.push({ source: device, destination, readOnly, via: `volume:${str(source)}` });
      } else if (typeof source === 'string' && source !== '') {
        namedVolumes.push({ name: source, destination, readOnly });
      }
    }
  }

  if (lookupVolume) {
    for (const v of namedVolumes) {
      const info = await lookupVolume(v.name);
      const device = hostDevice(info?.Options);
      if (device !== undefined) pending.push({ source: device, destination: v.destination, readOnly: v.readOnly, via: `volume:${v.name}` });
    }
  }

  return Promise.all(
    pending.map(async (p) => ({
      Source: p.source,
      Destination: p.destination,
      ReadOnly: p.readOnly,
      Resolved: await resolveHostPath(p.source),
      Via: p.via,
    })),
  );
}

/**
 * The host device a `local` volume's options mount, if any: `device` with any type but tmpfs
 * (o=bind binds a path; ext4/xfs/... mount a block device). A tmpfs device is only a label.
 */
export function hostDevice(options: unknown): string | undefined {
  const device = field(options, 'device');
  if (typeof device !== 'string' || field(options, 'type') === 'tmpfs') return undefined;
  return device;
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
