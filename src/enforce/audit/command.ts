// `dockgate audit`: reads the flags, asks the daemon and the policy, prints the report.
// Exit 0: nothing found; 1: findings; 2: the audit could not be done whole (daemon unreachable,
// a policy that does not load, an object that could not be judged).
import { PolicyEngine } from '../../policy/index.js';
import { parseAddress, type Address } from '../../docker/daemon-address.js';
import { auditDaemon } from './audit.js';
import { daemonApi } from './daemon-api.js';
import { readDaemonFacts } from './daemon-facts.js';
import { OwnerResolver } from './owners.js';
import { formatErrors, formatJson, formatText } from './report.js';

const DEFAULT_UPSTREAM = 'unix:///var/run/docker.sock';
/** Each question to the daemon, from start to end of its answer. */
const DAEMON_DEADLINE_MS = 30_000;

export const EXIT_CLEAN = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_ERROR = 2;

export async function runAudit(values: Record<string, unknown>): Promise<number> {
  let upstream: Address;
  try {
    upstream = parseAddress(typeof values.upstream === 'string' ? values.upstream : DEFAULT_UPSTREAM, '--upstream');
  } catch (err) {
    return fail((err as Error).message);
  }
  const asUser = typeof values.as === 'string' ? values.as : undefined;
  const api = daemonApi(upstream, DAEMON_DEADLINE_MS);
  try {
    const facts = await readDaemonFacts(api);
    const engine = await PolicyEngine.load({
      policies: values.policy as string[] | undefined,
      data: values.data as string[] | undefined,
      config: typeof values.config === 'string' ? values.config : undefined,
      runtimeConfig: facts.runtimeConfig,
    });
    for (const w of engine.warnings) process.stderr.write(`dockgate: warning: ${w}\n`);
    const owners = new OwnerResolver(asUser);
    await owners.init();
    const report = await auditDaemon({ api, engine, owners, defaults: facts.defaults });
    process.stdout.write(values.json === true ? formatJson(report) : formatText(report));
    process.stderr.write(formatErrors(report));
    if (report.errors.length > 0) return EXIT_ERROR;
    return report.findings.length > 0 ? EXIT_FINDINGS : EXIT_CLEAN;
  } catch (err) {
    // The daemon unreachable (DaemonError), no such --as user (OwnerError), a policy, data or
    // config that does not load (PolicyLoadError, ConfigError): nothing was judged.
    return fail((err as Error)?.message ?? String(err));
  }
}

function fail(message: string): number {
  process.stderr.write(`dockgate: audit: ${message}\n`);
  return EXIT_ERROR;
}
