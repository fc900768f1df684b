// Policy loading and decisions: the one place where requests are judged (judge.ts).
export {
  PolicyEngine,
  PolicyLoadError,
  MutationError,
  formatMessage,
  builtinPackDir,
  type PolicyOptions,
  type PolicyDecision,
  type DenyReason,
} from './engine.js';
export { DEFAULT_CONFIG, loadConfig, parseConfig, ConfigError, type Config } from './config.js';
export { RULES, findRule, type RuleInfo } from './catalog.js';
export {
  DecisionCore,
  type ApiRequest,
  type DaemonLookups,
  type DaemonPort,
  type Release,
} from './judge.js';
