// `dockgate serve`: reads the flags, opens the listeners, runs the proxy until SIGTERM/SIGINT.
import { realpath } from 'node:fs/promises';
import v8 from 'node:v8';
import { groupIdByName, readSignatureKey } from '../../tenancy/index.js';
import { createLogger } from '../../observe/index.js';
import { PolicyEngine, type Config, type PolicyOptions } from '../../policy/index.js';
import { PolicyDecisionPoint } from './policy-point.js';
import { getDaemonJson } from '../../docker/daemon-client.js';
import { listenInsecureTcp, listenTls, listenUnix, type Listener, type OnConnection } from './listeners.js';
import { SocketProxy } from './proxy.js';
import { parseAddress, type Address } from './upstream.js';

const DEFAULT_LISTEN = 'unix:///run/dockgate.sock';
const DEFAULT_UPSTREAM = 'unix:///var/run/docker.sock';
const DEFAULT_HEADER_TIMEOUT_MS = 30_000;
const SHUTDOWN_GRACE_MS = 10_000;

export interface ServeOptions {
  listen: Address[];
  upstream: Address;
  socketMode: number;
  socketGid: number | null;
  tls: { cert: string; key: string; ca: string } | null;
  insecureTcp: boolean;
  decisionLog: string | undefined;
  logLevel: string;
  headerTimeoutMs: number;
  /** Undefined: the proxy's default (caller-quota.ts). */
  maxConnectionsPerUser: number | undefined;
  policy: PolicyOptions;
  /** Sign each forwarded request's caller for `dockgate plugin` with this key file. */
  identityKey: string | undefined;
}

class FlagError extends Error {}

function str(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function parseServeOptions(values: Record<string, unknown>): ServeOptions {
  // Metrics are not built yet: refusing the flag is better than silently ignoring it.
  if (values.metrics !== undefined) throw new FlagError('--metrics is not supported by this build yet');
  const listenTexts = (values.listen as string[] | undefined) ?? [DEFAULT_LISTEN];
  const listen = listenTexts.map((t) => parseAddress(t, '--listen'));
  const upstream = parseAddress(str(values, 'upstream') ?? DEFAULT_UPSTREAM, '--upstream');

  const modeText = str(values, 'socket-mode') ?? '660';
  if (!/^0?[0-7]{3}$/.test(modeText))
    throw new FlagError(`--socket-mode: expected octal permissions like 660, got ${modeText}`);
  const socketMode = parseInt(modeText, 8);

  let socketGid: number | null = null;
  const group = str(values, 'socket-group');
  if (group !== undefined) {
    socketGid = /^[0-9]+$/.test(group) ? Number(group) : groupIdByName(group);
    if (socketGid === null) throw new FlagError(`--socket-group: no group named ${group}`);
  }

  const cert = str(values, 'tls-cert');
  const key = str(values, 'tls-key');
  const ca = str(values, 'tls-ca');
  const anyTls = cert !== undefined || key !== undefined || ca !== undefined;
  if (anyTls && (cert === undefined || key === undefined || ca === undefined)) {
    throw new FlagError('--tls-cert, --tls-key and --tls-ca go together (client certificates are required)');
  }
  const insecureTcp = values['insecure-tcp'] === true;
  const tcpListeners = listen.filter((a) => a.kind === 'tcp');
  if (tcpListeners.length > 0 && !anyTls && !insecureTcp) {
    throw new FlagError(
      `--listen ${tcpListeners[0]!.text}: TCP needs --tls-cert/--tls-key/--tls-ca (or --insecure-tcp, which lets anyone who reaches the port act as anonymous)`,
    );
  }

  const timeoutText = str(values, 'header-timeout');
  let headerTimeoutMs = DEFAULT_HEADER_TIMEOUT_MS;
  if (timeoutText !== undefined) {
    const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s)?$/.exec(timeoutText);
    if (!m) throw new FlagError(`--header-timeout: expected a duration like 30s or 500ms, got ${timeoutText}`);
    headerTimeoutMs = Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
    if (headerTimeoutMs <= 0) throw new FlagError('--header-timeout must be positive');
  }

  const maxText = str(values, 'max-connections-per-user');
  let maxConnectionsPerUser: number | undefined;
  if (maxText !== undefined) {
    maxConnectionsPerUser = /^[0-9]+$/.test(maxText) ? Number(maxText) : NaN;
    if (!(maxConnectionsPerUser >= 1 && maxConnectionsPerUser <= 1_000_000))
      throw new FlagError(`--max-connections-per-user: expected a whole number from 1 to 1000000, got ${maxText}`);
  }

  return {
    listen,
    upstream,
    socketMode,
    socketGid,
    tls: anyTls ? { cert: cert!, key: key!, ca: ca! } : null,
    insecureTcp,
    decisionLog: str(values, 'decision-log'),
    logLevel: str(values, 'log-level') ?? 'info',
    headerTimeoutMs,
    maxConnectionsPerUser,
    identityKey: str(values, 'identity-key'),
    policy: {
      policies: values.policy as string[] | undefined,
      data: values.data as string[] | undefined,
      config: str(values, 'config'),
    },
  };
}

export async function runServe(values: Record<string, unknown>): Promise<number> {
  let options: ServeOptions;
  try {
    options = parseServeOptions(values);
  } catch (err) {
    process.stderr.write(`dockgate: serve: ${(err as Error).message}\n`);
    return 2;
  }
  // The proxy's garbage is short-lived (one request's objects); its long-lived objects are
  // connections. bin/dockgate caps the young generation at start; started some other way, V8
  // would grow it to many MiB under load, which buys a proxy nothing but resident memory: keep
  // it at the size it has.
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  const logger = createLogger(options.decisionLog, options.logLevel);
  const facts = await daemonFacts(options.upstream);
  const policyOptions: PolicyOptions = { ...options.policy, runtimeConfig: facts.apply };
  let engine: PolicyEngine;
  try {
    engine = await PolicyEngine.load(policyOptions);
  } catch (err) {
    process.stderr.write(`dockgate: serve: ${(err as Error).message}\n`);
    return 2;
  }
  for (const w of engine.warnings) process.stderr.write(`dockgate: warning: ${w}\n`);
  if (facts.remapsUsers && (engine.config.rules as Record<string, { enabled?: boolean }>)['run-as-caller']?.enabled) {
    process.stderr.write(
      `dockgate: the daemon remaps users (${facts.remapsUsers}): root in a container is not root on the host, so host mounts need not run as the caller; [rules.run-as-caller] enabled = false relaxes that rule\n`,
    );
  }
  let identityKey: Buffer | undefined;
  try {
    identityKey = options.identityKey === undefined ? undefined : readSignatureKey(options.identityKey);
  } catch (err) {
    process.stderr.write(`dockgate: serve: --identity-key: ${(err as Error).message}\n`);
    return 2;
  }
  const decisionPoint = new PolicyDecisionPoint(engine, { upstream: options.upstream, identityKey });
  const proxy = new SocketProxy({
    upstream: options.upstream,
    decisionPoint,
    logger,
    maxHeaderBytes: 64 * 1024,
    headerTimeoutMs: options.headerTimeoutMs,
    maxConnectionsPerCaller: options.maxConnectionsPerUser,
    identityKey,
  });
  const onConnection: OnConnection = (socket, identity, reads) => proxy.accept(socket, identity, reads);

  // Signals are handled from before the socket is announced: a SIGHUP or SIGTERM sent the moment
  // it is ready must reload or stop the proxy, not kill it (their default action).
  // SIGHUP: reload policies, data and config; a reload that fails keeps the last good policy.
  const onHup = () => {
    PolicyEngine.load(policyOptions).then(
      (next) => {
        decisionPoint.engine = next;
        logger.info({ warnings: next.warnings }, 'policy reloaded');
        process.stderr.write('dockgate: policy reloaded\n');
      },
      (err: Error) => {
        logger.error({ err: err.message }, 'policy reload failed; keeping the last good policy');
        process.stderr.write(`dockgate: policy reload failed, keeping the last good policy: ${err.message}\n`);
      },
    );
  };
  process.on('SIGHUP', onHup);

  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });

  const listeners: Listener[] = [];
  try {
    for (const address of options.listen) {
      if (address.kind === 'unix')
        listeners.push(await listenUnix(address, { mode: options.socketMode, gid: options.socketGid }, onConnection));
      else if (options.tls) listeners.push(await listenTls(address, options.tls, onConnection));
      else listeners.push(await listenInsecureTcp(address, onConnection));
    }
  } catch (err) {
    process.off('SIGHUP', onHup);
    await Promise.all(listeners.map((l) => l.close()));
    process.stderr.write(`dockgate: serve: ${(err as Error).message}\n`);
    return 2;
  }
  logger.info({ listen: options.listen.map((a) => a.text), upstream: options.upstream.text }, 'dockgate serve ready');
  // Readiness line on stderr for scripts and humans (the request log may go elsewhere).
  process.stderr.write(
    `dockgate: serving ${options.listen.map((a) => a.text).join(', ')} -> ${options.upstream.text}\n`,
  );

  const signal = await stopSignal;
  process.off('SIGHUP', onHup);
  logger.info({ signal, connections: proxy.size }, 'shutting down');
  // Stop accepting first (socket files removed), then let in-flight requests finish.
  const closed = Promise.all(listeners.map((l) => l.close()));
  await proxy.shutdown(SHUTDOWN_GRACE_MS);
  await closed;
  logger.info('stopped');
  await logger.close();
  return 0;
}

/**
 * What the pack must know about the daemon it guards: its socket's real path and its data
 * root (never to be mounted), and whether it maps container root to another host user
 * (userns-remap or rootless: `GET /info` SecurityOptions). Asked once at start; the defaults
 * stay if the daemon is down.
 */
async function daemonFacts(upstream: Address): Promise<{ apply: (config: Config) => void; remapsUsers: string }> {
  const sockets: string[] = [];
  if (upstream.kind === 'unix') sockets.push(await realpath(upstream.path).catch(() => upstream.path));
  const info = (await getDaemonJson(upstream, '/info').catch(() => undefined))?.body as
    | Record<string, unknown>
    | undefined;
  const dataRoot =
    typeof info?.DockerRootDir === 'string'
      ? await realpath(info.DockerRootDir).catch(() => info.DockerRootDir as string)
      : '';
  const securityOptions = Array.isArray(info?.SecurityOptions) ? (info.SecurityOptions as unknown[]) : [];
  const remapsUsers =
    ['userns', 'rootless'].find((name) =>
      securityOptions.some((o) => typeof o === 'string' && o.split(',').includes(`name=${name}`)),
    ) ?? '';
  return {
    remapsUsers,
    apply: (config) => {
      const daemon = config.daemon as { sockets: string[]; data_root: string; remaps_users: boolean };
      daemon.sockets = [...new Set([...daemon.sockets, ...sockets])];
      if (daemon.data_root === '' && dataRoot) daemon.data_root = dataRoot;
      daemon.remaps_users = remapsUsers !== '';
    },
  };
}
