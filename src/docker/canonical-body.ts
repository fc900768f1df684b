// Reads a JSON request body as dockerd's Go decoder reads it, and rewrites it so that the
// bytes we judge and forward can only mean one thing.
//
// Go matches JSON keys to struct fields case-insensitively (with Unicode folding: "ſ" is "s",
// the Kelvin sign is "k"), lets a later duplicate key overwrite or *merge into* an earlier one,
// and ignores bytes after the first JSON value. A policy reading `Body.HostConfig.Privileged`
// would miss `{"HostConfig":{"privileged":true}}` or `{"Privileged":false,"PRIVILEGED":true}`.
// So: struct keys are renamed to Docker's own field names, duplicates (after folding) are
// refused, trailing data is refused, and the canonical text is what gets forwarded.
import { Refusal } from './refusal.js';
import { containerCreateBody, TOP_LEVEL_HOST_CONFIG_FIELDS, type Shape } from './body-schema.js';
import {
  isJsonObject,
  parseStrictJson,
  stringifyJson,
  StrictJsonError,
  toPlain,
  type JsonNode,
  type JsonObject,
} from './strict-json.js';

/** How the daemon behind dockgate reads request bodies, where releases differ. */
export interface DaemonReading {
  /**
   * A create body's HostConfig fields given at its top level are honoured (dockerd before 27:
   * all of them when the body has no HostConfig, else Memory, MemorySwap, CpuShares and Cpuset
   * where HostConfig leaves them unset); later releases ignore them.
   */
  topLevelHostConfig: boolean;
}

/** What dockerd 20.10 does: the reading when the daemon's version is not known. */
export const DOCKERD_20_READING: DaemonReading = { topLevelHostConfig: true };

export interface CanonicalBody {
  /** The body as plain JSON values (objects with null prototype), or null when empty. */
  value: unknown;
  /** The bytes to forward instead of the original body. */
  bytes: Buffer;
}

/**
 * Canonicalises a judged body of the given shape (its route's `body`). An empty body stays
 * empty (value null). Throws Refusal (400) for bodies Go could read differently from us.
 */
export function canonicalizeBody(shape: Shape, raw: Buffer, daemon: DaemonReading = DOCKERD_20_READING): CanonicalBody {
  const text = raw.toString('utf8');
  if (text.trim() === '') return { value: null, bytes: raw };
  let node: JsonNode;
  try {
    node = parseStrictJson(text);
  } catch (err) {
    if (err instanceof StrictJsonError) throw new Refusal(400, `request body is not valid JSON: ${err.message}`);
    throw err;
  }
  // Only a container create reads HostConfig fields at the top level of its body.
  if (shape === containerCreateBody && isJsonObject(node)) node = liftTopLevelHostConfig(node, daemon);
  const canonical = canonicalize(node, shape, 'Body');
  return { value: toPlain(canonical), bytes: Buffer.from(stringifyJson(canonical), 'utf8') };
}

function canonicalize(node: JsonNode, shape: Shape, where: string): JsonNode {
  switch (shape.kind) {
    case 'scalar':
      return node;
    case 'array':
      return Array.isArray(node) ? node.map((x, i) => canonicalize(x, shape.of, `${where}[${i}]`)) : node;
    case 'map': {
      if (!isJsonObject(node)) return node;
      const seen = new Set<string>();
      const entries: [string, JsonNode][] = [];
      for (const [k, v] of node.entries) {
        // Go map keys are exact, and a later duplicate wins: refuse rather than pick one.
        if (seen.has(k)) throw new Refusal(400, `duplicate key ${JSON.stringify(k)} in ${where}`);
        seen.add(k);
        entries.push([k, canonicalize(v, shape.of, `${where}.${k}`)]);
      }
      return { kind: 'object', entries };
    }
    case 'struct': {
      if (!isJsonObject(node)) return node;
      const byFold = new Map<string, string>();
      const entries: [string, JsonNode][] = [];
      for (const [k, v] of node.entries) {
        const folded = goFold(k);
        const earlier = byFold.get(folded);
        if (earlier !== undefined) {
          throw new Refusal(
            400,
            earlier === k
              ? `duplicate key ${JSON.stringify(k)} in ${where}`
              : `keys ${JSON.stringify(earlier)} and ${JSON.stringify(k)} in ${where} name the same field`,
          );
        }
        byFold.set(folded, k);
        const field = fieldByFold(shape.fields).get(folded);
        if (field === undefined) {
          entries.push([k, v]); // unknown to Docker's type: dockerd ignores it
        } else {
          entries.push([field, canonicalize(v, shape.fields.get(field)!, `${where}.${field}`)]);
        }
      }
      return { kind: 'object', entries };
    }
  }
}

/**
 * HostConfig fields at the top level of a create body, moved where the daemon puts them: into
 * HostConfig (all of them when the body has none; Memory, MemorySwap, CpuShares and Cpuset →
 * CpusetCpus where HostConfig leaves them zero), or dropped when the daemon ignores them. The
 * result carries every setting the daemon will apply in HostConfig, so it is judged there and
 * forwarded in that one place.
 */
function liftTopLevelHostConfig(body: JsonObject, daemon: DaemonReading): JsonObject {
  const lifted = new Map<string, [string, JsonNode]>();
  const kept: [string, JsonNode][] = [];
  for (const entry of body.entries) {
    const field = fieldByFold(TOP_LEVEL_FIELDS_MAP).get(goFold(entry[0]));
    if (field === undefined) {
      kept.push(entry);
      continue;
    }
    const earlier = lifted.get(field);
    if (earlier)
      throw new Refusal(
        400,
        `keys ${JSON.stringify(earlier[0])} and ${JSON.stringify(entry[0])} in Body name the same field`,
      );
    lifted.set(field, entry);
  }
  if (lifted.size === 0) return body;
  if (!daemon.topLevelHostConfig) return { kind: 'object', entries: kept }; // the daemon ignores them
  const hcIndex = kept.findIndex(([k]) => goFold(k) === goFold('HostConfig'));
  const inner = hcIndex < 0 ? null : kept[hcIndex]![1];
  if (inner === null) {
    // No inner HostConfig (absent or null): the top-level fields are the HostConfig.
    const hostConfig: JsonObject = { kind: 'object', entries: [...lifted].map(([field, [, v]]) => [field, v]) };
    renameCpuset(hostConfig);
    const out = kept.filter((_, i) => i !== hcIndex);
    out.push(['HostConfig', hostConfig]);
    return { kind: 'object', entries: out };
  }
  if (!isJsonObject(inner)) return { kind: 'object', entries: kept }; // dockerd refuses a HostConfig that is not an object
  const merged: JsonObject = { kind: 'object', entries: [...inner.entries] };
  for (const name of ['Memory', 'MemorySwap', 'CpuShares', 'Cpuset'] as const) {
    const given = lifted.get(name);
    if (!given) continue;
    const target = name === 'Cpuset' ? 'CpusetCpus' : name;
    const at = merged.entries.findIndex(([k]) => goFold(k) === goFold(target));
    const current = at < 0 ? undefined : merged.entries[at]![1];
    if (!isZero(current)) continue;
    if (at >= 0) merged.entries.splice(at, 1);
    merged.entries.push([target, given[1]]);
  }
  kept[hcIndex] = [kept[hcIndex]![0], merged];
  return { kind: 'object', entries: kept };
}

/** Go's zero value for the field: what HostConfig "leaves unset". */
function isZero(v: JsonNode | undefined): boolean {
  return v === undefined || v === null || v === 0 || v === 0n || v === '';
}

/** The deprecated top-level Cpuset is HostConfig.CpusetCpus (unless that is given too). */
function renameCpuset(hostConfig: JsonObject): void {
  const at = hostConfig.entries.findIndex(([k]) => k === 'Cpuset');
  if (at < 0) return;
  const [, value] = hostConfig.entries[at]!;
  hostConfig.entries.splice(at, 1);
  if (!hostConfig.entries.some(([k]) => k === 'CpusetCpus')) hostConfig.entries.push(['CpusetCpus', value]);
}

const TOP_LEVEL_FIELDS_MAP: ReadonlyMap<string, Shape> = new Map(
  [...TOP_LEVEL_HOST_CONFIG_FIELDS, 'Cpuset'].map((f) => [f, { kind: 'scalar' }]),
);

const foldIndexCache = new WeakMap<ReadonlyMap<string, Shape>, Map<string, string>>();
function fieldByFold(fields: ReadonlyMap<string, Shape>): Map<string, string> {
  let idx = foldIndexCache.get(fields);
  if (!idx) {
    idx = new Map([...fields.keys()].map((f) => [goFold(f), f]));
    foldIndexCache.set(fields, idx);
  }
  return idx;
}

/**
 * A folding at least as broad as any Go release's JSON field matching: ASCII case, plus the
 * non-ASCII letters that Go's Unicode folding maps onto ASCII letters (ſ→S, K→K, ı/İ→I).
 * Broader than Go is safe here: a key we fold onto a field is renamed to that exact field.
 */
export function goFold(key: string): string {
  let out = '';
  for (const ch of key) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x61 && c <= 0x7a) out += String.fromCharCode(c - 0x20);
    else if (c === 0x17f) out += 'S';
    else if (c === 0x212a) out += 'K';
    else if (c === 0x130 || c === 0x131) out += 'I';
    else out += ch;
  }
  return out;
}
