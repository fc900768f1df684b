// Docker's list filters (the `filters` query parameter), read as dockerd reads them, and a
// request target rewritten with one more filter. dockerd ANDs the values of `label` (every
// label filter must match), so a filter added here narrows what a client sees whatever the
// client's own filters say.
import { parseApiPath, percentDecode } from './api-path.js';
import { Refusal } from './refusal.js';
import { isJsonObject, type JsonNode, parseStrictJson, StrictJsonError } from './strict-json.js';

/** Filter name → its values (a value's flag is kept: dockerd matches on the value whatever the flag). */
export type Filters = Map<string, Map<string, boolean>>;

/**
 * dockerd's filters.FromJSON: `{"name": {"value": true}}`, or the older `{"name": ["value"]}`.
 * A text dockerd would read another way (duplicate keys, which Go resolves by keeping the
 * last) or refuse is refused here (400), so what is merged is what dockerd would have read.
 */
export function parseFilters(text: string): Filters {
  const filters: Filters = new Map();
  if (text === '') return filters;
  let node: JsonNode;
  try {
    node = parseStrictJson(text);
  } catch (err) {
    if (err instanceof StrictJsonError) throw new Refusal(400, `invalid filters: ${err.message}`);
    throw err;
  }
  if (node === null) return filters;
  if (!isJsonObject(node)) throw new Refusal(400, 'invalid filters: not a JSON object');
  for (const [name, values] of node.entries) {
    if (filters.has(name)) throw new Refusal(400, `invalid filters: filter ${JSON.stringify(name)} is given twice`);
    const set = new Map<string, boolean>();
    if (isJsonObject(values)) {
      for (const [value, flag] of values.entries) {
        if (typeof flag !== 'boolean' || set.has(value))
          throw new Refusal(400, `invalid filters: bad value for filter ${JSON.stringify(name)}`);
        set.set(value, flag);
      }
    } else if (Array.isArray(values)) {
      for (const value of values) {
        if (typeof value !== 'string')
          throw new Refusal(400, `invalid filters: bad value for filter ${JSON.stringify(name)}`);
        set.set(value, true);
      }
    } else if (values !== null) {
      throw new Refusal(400, `invalid filters: bad value for filter ${JSON.stringify(name)}`);
    }
    filters.set(name, set);
  }
  return filters;
}

function filtersJson(filters: Filters): string {
  const out: Record<string, Record<string, boolean>> = {};
  for (const [name, values] of filters) out[name] = Object.fromEntries(values);
  return JSON.stringify(out);
}

/**
 * `target` (path and query as sent) with `label=VALUE` added to its filters: the client's
 * filters (dockerd reads the first `filters`) and the label, in one parameter.
 */
export function withLabelFilter(target: string, label: string): string {
  const filters = parseFilters(parseApiPath(target).query.filters ?? '');
  const labels = filters.get('label') ?? new Map<string, boolean>();
  labels.set(label, true);
  filters.set('label', labels);
  return withQueryParam(target, 'filters', filtersJson(filters));
}

/**
 * `target` with query parameter `key` set to `value`: every value it had, in any spelling of
 * the key (dockerd decodes keys before reading them), is dropped; the rest stays as sent.
 */
export function withQueryParam(target: string, key: string, value: string): string {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const kept =
    q < 0
      ? []
      : target
          .slice(q + 1)
          .split('&')
          .filter((pair) => pair !== '' && decodedKey(pair) !== key);
  kept.push(`${key}=${encodeURIComponent(value)}`);
  return `${path}?${kept.join('&')}`;
}

/** The decoded key of one `key=value` pair (parseApiPath has already refused malformed ones). */
function decodedKey(pair: string): string {
  const eq = pair.indexOf('=');
  return percentDecode(eq < 0 ? pair : pair.slice(0, eq), true) ?? '';
}
