// Reads a JSON request body as dockerd's Go decoder reads it, and rewrites it so that the
// bytes we judge and forward can only mean one thing.
//
// Go matches JSON keys to struct fields case-insensitively (with Unicode folding: "ſ" is "s",
// the Kelvin sign is "k"), lets a later duplicate key overwrite or *merge into* an earlier one,
// and ignores bytes after the first JSON value. A policy reading `Body.HostConfig.Privileged`
// would miss `{"HostConfig":{"privileged":true}}` or `{"Privileged":false,"PRIVILEGED":true}`.
// So: struct keys are renamed to Docker's own field names, duplicates (after folding) are
// refused, trailing data is refused, and the canonical text is what gets forwarded.
import { BODY_SHAPES, TOP_LEVEL_HOST_CONFIG_FIELDS, type Shape } from './body-schema.js';
import { isJsonObject, parseStrictJson, stringifyJson, StrictJsonError, toPlain, type JsonNode, type JsonObject } from './strict-json.js';

export class BodyRefusedError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface CanonicalBody {
  /** The body as plain JSON values (objects with null prototype), or null when empty. */
  value: unknown;
  /** The bytes to forward instead of the original body. */
  bytes: Buffer;
}

/** Actions whose body a policy reads and this module canonicalises. */
export function hasJudgedBody(action: string): boolean {
  return action in BODY_SHAPES;
}

/**
 * Canonicalises the body of a request with a judged body. An empty body stays empty (value
 * null). Throws BodyRefusedError for bodies Go could read differently from us.
 */
export function canonicalizeBody(action: string, raw: Buffer): CanonicalBody {
  const shape = BODY_SHAPES[action];
  if (!shape) throw new Error(`no body shape for ${action}`);
  const text = raw.toString('utf8');
  if (text.trim() === '') return { value: null, bytes: raw };
  let node: JsonNode;
  try {
    node = parseStrictJson(text);
  } catch (err) {
    if (err instanceof StrictJsonError) throw new BodyRefusedError(`request body is not valid JSON: ${err.message}`);
    throw err;
  }
  if (action === 'container.create' && isJsonObject(node)) refuseTopLevelHostConfig(node);
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
        if (seen.has(k)) throw new BodyRefusedError(`duplicate key ${JSON.stringify(k)} in ${where}`);
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
          throw new BodyRefusedError(
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

function refuseTopLevelHostConfig(body: JsonObject): void {
  for (const [k] of body.entries) {
    const field = fieldByFold(TOP_LEVEL_FIELDS_MAP).get(goFold(k));
    if (field !== undefined) {
      throw new BodyRefusedError(`"${k}" at the top level of a container create body is not accepted: put ${field} inside HostConfig`);
    }
  }
}
const TOP_LEVEL_FIELDS_MAP: ReadonlyMap<string, Shape> = new Map([...TOP_LEVEL_HOST_CONFIG_FIELDS].map((f) => [f, { kind: 'scalar' }]));

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
