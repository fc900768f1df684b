// Judges a rebuilt request exactly as the proxy judges one that arrives, through the decision
// core (policy/judge.ts): read the way dockerd reads it, named volumes looked up at the daemon,
// then the policy's decision and its data.dockgate.mutate. Anything the proxy would not forward
// as it is, is a finding: a refusal, a request it cannot read, or a body the policy would rewrite.
import { Refusal } from '../../docker/refusal.js';
import { DEFAULT_MAX_JUDGED_BODY } from '../../docker/request.js';
import {
  type DaemonLookups,
  type DecisionCore,
  type DenyReason,
  MutationError,
  type PolicyDecision,
} from '../../policy/index.js';
import { equal, toJS, type Value } from '../../rego/index.js';
import type { Identity } from '../../tenancy/index.js';
import type { RebuiltRequest } from './rebuild.js';

/** One field the policy's mutation would change: its path in the body, before and after. */
export interface BodyChange {
  path: string;
  before: unknown;
  after: unknown;
}

export interface Verdict {
  /** Why the policy (or the proxy's reading) would refuse the request; empty when allowed. */
  reasons: DenyReason[];
  /** What data.dockgate.mutate would change in an allowed request; empty when nothing. */
  changes: BodyChange[];
  /** The policy could not be evaluated (the proxy refuses then): the audit cannot say. */
  error?: string;
}

/** Rule names of findings that come from the proxy's reading rather than from a policy rule. */
export const READING_RULE = 'request';
export const MUTATION_RULE = 'mutate';

/** Changes listed per finding; a mutation rewriting more than this is summarised. */
const MAX_CHANGES = 32;

export async function judge(
  request: RebuiltRequest,
  identity: Identity,
  core: DecisionCore,
  lookups: DaemonLookups,
): Promise<Verdict> {
  const bytes = Buffer.from(JSON.stringify(request.body), 'utf8');
  if (bytes.length > DEFAULT_MAX_JUDGED_BODY) {
    return refusedBy(
      READING_RULE,
      `its create body would be ${bytes.length} bytes, over the ${DEFAULT_MAX_JUDGED_BODY} bytes the proxy reads (413)`,
    );
  }
  let decision: PolicyDecision;
  let body: Value | null;
  let mutated: Value | undefined;
  try {
    ({ decision, body, mutated } = await core.assess(
      {
        method: request.method,
        target: request.target,
        headers: { 'content-type': 'application/json' },
        body: bytes,
      },
      identity,
      lookups,
    ));
  } catch (err) {
    if (err instanceof Refusal)
      return refusedBy(READING_RULE, `the proxy would refuse its create request (${err.status}): ${err.message}`);
    if (err instanceof MutationError)
      return refusedBy(MUTATION_RULE, `the proxy would refuse its create request: ${err.message}`);
    throw err;
  }
  if (decision.error !== undefined) return { reasons: [], changes: [], error: decision.error };
  if (!decision.allow) {
    return {
      reasons: decision.reasons.length > 0 ? decision.reasons : [{ rule: '', msg: decision.message, hint: '' }],
      changes: [],
    };
  }
  if (mutated === undefined || equal(mutated, body)) return { reasons: [], changes: [] };
  return { reasons: [], changes: diff(toJS(body), toJS(mutated)) };
}

function refusedBy(rule: string, msg: string): Verdict {
  return { reasons: [{ rule, msg, hint: '' }], changes: [] };
}

/** Fields that differ between two JSON documents, objects walked key by key, anything else compared whole. */
export function diff(before: unknown, after: unknown, path = '', out: BodyChange[] = []): BodyChange[] {
  if (out.length > MAX_CHANGES) return out;
  if (isObject(before) && isObject(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      diff(
        key in before ? before[key] : undefined,
        key in after ? after[key] : undefined,
        path ? `${path}.${key}` : key,
        out,
      );
    }
    return out;
  }
  if (jsonText(before) !== jsonText(after)) {
    if (out.length === MAX_CHANGES) out.push({ path: '...', before: undefined, after: 'more changes' });
    else out.push({ path: path || '(body)', before, after });
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON text of a value from a Rego document, whose big integers are bigints. */
export function jsonText(v: unknown): string | undefined {
  return JSON.stringify(v, (_key, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}
