// The audit: every container and volume the daemon holds, judged by the current policy as the
// request that would create it, sent by its owner. What the policy would not allow as it is,
// is a finding; what cannot be judged (an answer that cannot be read, a policy that cannot be
// evaluated) is an error, never silently a pass.
import type { VolumeInfo } from '../../docker/bind-mounts.js';
import { type ImageFacts, imageFacts } from '../../docker/build-plan.js';
import type { InputTarget } from '../../docker/input.js';
import { describeContainer } from '../../docker/target.js';
import { type DaemonLookups, DecisionCore, type DenyReason, type PolicyEngine } from '../../policy/index.js';
import { DaemonError, type DaemonApi } from './daemon-api.js';
import { judge, type BodyChange } from './judge.js';
import type { Owner, OwnerResolver } from './owners.js';
import {
  containerCreateRequest,
  RebuildError,
  volumeCreateRequest,
  type DaemonDefaults,
  type RebuiltRequest,
} from './rebuild.js';

export type ObjectKind = 'container' | 'volume';

export interface Finding {
  kind: ObjectKind;
  /** Container id, or volume name. */
  id: string;
  /** Container name (without the leading "/"), or volume name. */
  name: string;
  owner: Owner;
  /** Why the policy would refuse its creation; empty when only a change is asked for. */
  reasons: DenyReason[];
  /** What data.dockgate.mutate would change in its creation. */
  changes: BodyChange[];
}

export interface AuditError {
  kind: ObjectKind | 'daemon';
  id: string;
  name: string;
  message: string;
}

export interface AuditReport {
  /** How many containers and volumes were judged. */
  containers: number;
  volumes: number;
  findings: Finding[];
  errors: AuditError[];
}

export interface AuditOptions {
  api: DaemonApi;
  engine: PolicyEngine;
  owners: OwnerResolver;
  defaults: DaemonDefaults;
  /** Judge only the objects this accepts (tests judge the objects they made); all when absent. */
  select?: (kind: ObjectKind, idOrName: string) => boolean;
}

/** Lists are bounded too: 64 MiB holds well over 100,000 containers' list entries. */
const MAX_LIST_ANSWER = 64 * 1024 * 1024;

/** Judges every container and volume at the daemon. Throws DaemonError when they cannot be listed. */
export async function auditDaemon(options: AuditOptions): Promise<AuditReport> {
  const report: AuditReport = { containers: 0, volumes: 0, findings: [], errors: [] };
  const core = new DecisionCore(options.engine);
  const lookups = daemonLookups(options.api);
  const select = options.select ?? (() => true);

  for (const id of await listContainerIds(options.api)) {
    if (!select('container', id)) continue;
    const inspected = await options.api.get(`/containers/${encodeURIComponent(id)}/json`).catch((err: Error) => err);
    if (inspected instanceof Error) {
      report.errors.push({ kind: 'container', id, name: '', message: inspected.message });
      continue;
    }
    if (inspected.status === 404) continue; // removed since it was listed
    const inspect = inspected.body as { Name?: unknown; Config?: { Labels?: unknown } | null } | null;
    const name = typeof inspect?.Name === 'string' ? inspect.Name.replace(/^\//, '') : '';
    if (inspected.status !== 200) {
      report.errors.push({
        kind: 'container',
        id,
        name,
        message: `GET /containers/${id}/json answered ${inspected.status}`,
      });
      continue;
    }
    report.containers++;
    await judgeObject(
      options,
      report,
      'container',
      id,
      name,
      inspect?.Config?.Labels,
      () => containerCreateRequest(inspect, options.defaults),
      core,
      lookups,
    );
  }

  for (const volume of await listVolumes(options.api)) {
    const v = volume as { Name?: unknown; Labels?: unknown } | null;
    const name = typeof v?.Name === 'string' ? v.Name : '';
    if (!select('volume', name)) continue;
    report.volumes++;
    await judgeObject(
      options,
      report,
      'volume',
      name,
      name,
      v?.Labels,
      () => volumeCreateRequest(volume),
      core,
      lookups,
    );
  }
  return report;
}

async function judgeObject(
  options: AuditOptions,
  report: AuditReport,
  kind: ObjectKind,
  id: string,
  name: string,
  labels: unknown,
  rebuild: () => RebuiltRequest,
  core: DecisionCore,
  lookups: DaemonLookups,
): Promise<void> {
  try {
    const owner = await options.owners.ownerOf(labels);
    const verdict = await judge(rebuild(), owner.identity, core, lookups);
    if (verdict.error !== undefined) {
      report.errors.push({ kind, id, name, message: `the policy could not be evaluated: ${verdict.error}` });
    } else if (verdict.reasons.length > 0 || verdict.changes.length > 0) {
      report.findings.push({ kind, id, name, owner, reasons: verdict.reasons, changes: verdict.changes });
    }
  } catch (err) {
    report.errors.push({
      kind,
      id,
      name,
      message:
        err instanceof RebuildError || err instanceof DaemonError
          ? err.message
          : `cannot be judged: ${(err as Error)?.message ?? String(err)}`,
    });
  }
}

async function listContainerIds(api: DaemonApi): Promise<string[]> {
  const answer = await api.get('/containers/json?all=1', MAX_LIST_ANSWER);
  if (answer.status !== 200 || !Array.isArray(answer.body))
    throw new DaemonError(`GET /containers/json answered ${answer.status} without a list`);
  const ids: string[] = [];
  for (const c of answer.body) {
    const id = (c as { Id?: unknown } | null)?.Id;
    if (typeof id !== 'string' || !/^[0-9a-f]{1,128}$/.test(id))
      throw new DaemonError('the daemon listed a container without a valid id');
    ids.push(id);
  }
  return ids;
}

async function listVolumes(api: DaemonApi): Promise<unknown[]> {
  const answer = await api.get('/volumes', MAX_LIST_ANSWER);
  const volumes = (answer.body as { Volumes?: unknown } | null)?.Volumes;
  if (answer.status !== 200) throw new DaemonError(`GET /volumes answered ${answer.status}`);
  if (volumes === null) return []; // dockerd lists no volumes as null
  if (!Array.isArray(volumes)) throw new DaemonError('GET /volumes answered without a list of volumes');
  return volumes;
}

/**
 * The decision core's questions, asked as the proxy asks them (policy-point.ts). Create bodies
 * are read as dockerd 20.10 reads them, the reading that applies the most fields.
 */
function daemonLookups(api: DaemonApi): DaemonLookups {
  const lookupVolume = (name: string) => lookupVolumeAt(api, name);
  return {
    layer: 'proxy',
    daemonReading: () => Promise.resolve(undefined),
    lookupVolume,
    lookupContainer: async (ref: string): Promise<InputTarget | null> => {
      const found = await lookUp(api, `/containers/${encodeURIComponent(ref)}/json`, `container ${ref}`);
      return found === undefined ? null : describeContainer(found, lookupVolume);
    },
    lookupImage: async (name: string): Promise<ImageFacts | undefined> => {
      const found = await lookUp(api, `/images/${encodeURIComponent(name)}/json`, `image ${name}`);
      return found === undefined ? undefined : imageFacts(found);
    },
  };
}

/** GET /volumes/{name}: is this named volume a bind of a host path? */
async function lookupVolumeAt(api: DaemonApi, name: string): Promise<VolumeInfo | undefined> {
  const answer = await api.get(`/volumes/${encodeURIComponent(name)}`, 1 << 20);
  if (answer.status === 404) return undefined;
  if (answer.status !== 200) throw new DaemonError(`volume look-up for ${name} answered ${answer.status}`);
  const v = answer.body as { Driver?: unknown; Options?: unknown } | null;
  return { Driver: String(v?.Driver ?? ''), Options: (v?.Options as Record<string, string> | null) ?? null };
}

/** An object's JSON at the daemon; undefined when it has none such (404). */
async function lookUp(api: DaemonApi, path: string, what: string): Promise<unknown> {
  const answer = await api.get(path, 1 << 20);
  if (answer.status === 404) return undefined;
  if (answer.status !== 200) throw new DaemonError(`${what} look-up answered ${answer.status}`);
  return answer.body;
}
