// Policy loading and decisions: the one place where requests are judged (judge.ts).
export {
  PolicyEngine,
  MutationError,
  builtinPackDir,
  type PolicyOptions,
  type PolicyDecision,
  type DenyReason,
} from './engine.js';
export { parseConfig, type Config } from './config.js';
export {
  DecisionCore,
  type ApiRequest,
  type DaemonLookups,
  type DaemonPort,
  type Release,
  type Verdict,
} from './judge.js';
export type { OwnerPort } from './tenancy.js';
