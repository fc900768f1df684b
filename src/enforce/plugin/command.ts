// `dockgate plugin`: reads the flags, loads the policy, listens where dockerd looks for legacy
// plugins, and judges until SIGTERM/SIGINT. A policy that does not load does not stop the
// plugin: it starts all the same and refuses every request but the lifecycle, saying why, so a
// daemon that needs it is never left with an allowing (or absent) plugin.
import path from 'node:path';
import { type Address, parseAddress } from '../../docker/daemon-address.js';
import { createLogger } from '../../observe/index.js';
import { PolicyEngine, type PolicyOptions } from '../../policy/index.js';
import { IdentityVerifier, readSignatureKey } from '../../tenancy/index.js';
import { LookupSecret, PluginLookups } from './lookups.js';
import { PluginDecisionPoint } from './plugin-point.js';
import { listenPlugin } from './protocol.js';

const DEFAULT_QUERY = 'data.docker.authz.allow';
const DEFAULT_UPSTREAM = 'unix:///var/run/docker.sock';
const PLUGIN_DIR = '/run/docker/plugins';

function str(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export async function runPlugin(values: Record<string, unknown>): Promise<number> {
  const name = str(values, 'name') ?? 'dockgate';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    process.stderr.write(`dockgate: plugin: --name: letters, digits, '.', '_' and '-' only, got ${name}\n`);
    return 2;
  }
  const socket = str(values, 'socket') ?? path.join(PLUGIN_DIR, `${name}.sock`);
  const query = str(values, 'query') ?? DEFAULT_QUERY;
  if (!/^data(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(query)) {
    process.stderr.write(`dockgate: plugin: --query: expected a rule like data.docker.authz.allow, got ${query}\n`);
    return 2;
  }
  let upstream: Address | null = null;
  const upstreamText = str(values, 'upstream') ?? DEFAULT_UPSTREAM;
  if (upstreamText !== 'none') {
    try {
      upstream = parseAddress(upstreamText, '--upstream');
    } catch (err) {
      process.stderr.write(`dockgate: plugin: ${(err as Error).message}\n`);
      return 2;
    }
  }
  const policyOptions: PolicyOptions = {
    policies: values.policy as string[] | undefined,
    data: values.data as string[] | undefined,
    config: str(values, 'config'),
    v0: values['v0-compatible'] === true,
    query,
  };
  const logger = createLogger(str(values, 'decision-log'), str(values, 'log-level') ?? 'info');
  const secret = new LookupSecret();
  let point: PluginDecisionPoint | undefined;

  /** Loads the policy and the proxy key; on failure the plugin refuses all but the lifecycle. */
  const load = async (first: boolean): Promise<void> => {
    let engine: PolicyEngine;
    try {
      engine = await PolicyEngine.load(policyOptions);
    } catch (err) {
      const message = `the policy did not load: ${(err as Error).message}`;
      logger.error({ err: message }, first ? 'plugin starts refusing every request' : 'policy reload failed');
      process.stderr.write(
        `dockgate: plugin: ${message}${first ? ' (refusing every request)' : ' (keeping the last good policy)'}\n`,
      );
      if (first) {
        point = makePoint(false, null);
        point.setLoadError(message);
      }
      return;
    }
    for (const w of engine.warnings) process.stderr.write(`dockgate: warning: ${w}\n`);
    const settings = engine.config.plugin as { require_proxy: boolean; key_file: string; signature_window: number };
    let verifier: IdentityVerifier | null = null;
    let keyError = '';
    try {
      verifier = new IdentityVerifier(readSignatureKey(settings.key_file), settings.signature_window);
    } catch (err) {
      keyError = (err as Error).message;
      if (settings.require_proxy) process.stderr.write(`dockgate: plugin: ${keyError}\n`);
    }
    const next = makePoint(settings.require_proxy, verifier);
    if (settings.require_proxy && verifier === null) next.setLoadError(`[plugin] require_proxy, and ${keyError}`);
    else next.setEngine(engine);
    point = next;
    if (!first) process.stderr.write('dockgate: plugin: policy reloaded\n');
  };
  const makePoint = (requireProxy: boolean, verifier: IdentityVerifier | null) =>
    new PluginDecisionPoint({
      lookups: new PluginLookups(upstream, secret),
      secret,
      verifier,
      requireProxy,
      query,
    });
  await load(true);

  const onHup = () => void load(false);
  process.on('SIGHUP', onHup);
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  let server: Awaited<ReturnType<typeof listenPlugin>>;
  try {
    server = await listenPlugin(
      socket,
      () => point!,
      (record) => {
        if (record.error) logger.error(record, 'plugin decision failed');
        else logger.info(record, record.allow ? 'allow' : 'deny');
      },
    );
  } catch (err) {
    process.off('SIGHUP', onHup);
    process.stderr.write(`dockgate: plugin: ${(err as Error).message}\n`);
    return 2;
  }
  process.stderr.write(`dockgate: plugin ${name} listening on ${socket}\n`);
  const signal = await stopSignal;
  process.off('SIGHUP', onHup);
  logger.info({ signal }, 'plugin stopping');
  await server.close();
  await logger.close();
  return 0;
}
