// `dockgate audit`: the containers and volumes at the daemon that the current policy would not
// allow (or would change) for their owner.
export { runAudit, EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR } from './command.js';
export {
  auditDaemon,
  type AuditReport,
  type AuditOptions,
  type Finding,
  type AuditError,
  type ObjectKind,
} from './audit.js';
export { daemonApi, DaemonError, type DaemonApi } from './daemon-api.js';
export { readDaemonFacts, type DaemonFacts } from './daemon-facts.js';
export { OwnerResolver, lookupUser, OWNER_LABEL, type Owner } from './owners.js';
export { containerCreateRequest, volumeCreateRequest, daemonDefaultsOf, type DaemonDefaults } from './rebuild.js';
export { formatText, formatJson } from './report.js';
