// `dockgate serve`: reads the flags, opens the listeners, runs the proxy until SIGTERM/SIGINT.
import { groupIdByName } from '../../tenancy/index.js';
import { createLogger } from '../../observe/index.js';
import { allowAll, type DecisionPoint } from './decision.js';
import { listenInsecureTcp, listenTls, listenUnix, type Listener } from './listeners.js';
import { Proxy } from './proxy.js';
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
}

class FlagError extends Error {}

function str(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function parseServeOptions(values: Record<string, unknown>): ServeOptions {
  // Policy flags belong to the policy layer, which is not wired in yet: refusing them is
  // safer than silently running allow-all while the operator believes a policy is active.
  for (const name of ['policy', 'data', 'config', 'metrics']) {
    if (values[name] !== undefined) throw new FlagError(`--${name} is not supported by this build yet`);
  }
  const listenTexts = (values.listen as string[] | undefined) ?? [DEFAULT_LISTEN];
  const listen = listenTexts.map((t) => parseAddress(t, '--listen'));
  const upstream = parseAddress(str(values, 'upstream') ?? DEFAULT_UPSTREAM, '--upstream');

  const modeText = str(values, 'socket-mode') ?? '660';
  if (!/^0?[0-7]{3}$/.test(modeText)) throw new FlagError(`--socket-mode: expected octal permissions like 660, got ${modeText}`);
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
    throw new FlagError(`--listen ${tcpListeners[0].text}: TCP needs --tls-cert/--tls-key/--tls-ca (or --insecure-tcp, which lets anyone who reaches the port act as anonymous)`);
  }

  const timeoutText = str(values, 'header-timeout');
  let headerTimeoutMs = DEFAULT_HEADER_TIMEOUT_MS;
  if (timeoutText !== undefined) {
    const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s)?$/.exec(timeoutText);
    if (!m) throw new FlagError(`--header-timeout: expected a duration like 30s or 500ms, got ${timeoutText}`);
    headerTimeoutMs = Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
    if (headerTimeoutMs <= 0) throw new FlagError('--header-timeout must be positive');
  }

  return {
    listen, upstream, socketMode, socketGid, tls: anyTls ? { cert: cert!, key: key!, ca: ca! } : null, insecureTcp,
    decisionLog: str(values, 'decision-log'), logLevel: str(values, 'log-level') ?? 'info', headerTimeoutMs,
  };
}

/** The decision point in use. Issue 6 plugs the policy in here. */
function decisionPointFor(_options: ServeOptions): DecisionPoint {
  return allowAll;
}

export async function runServe(values: Record<string, unknown>): Promise<number> {
  let options: ServeOptions;
  try {
    options = parseServeOptions(values);
  } catch (err) {
    process.stderr.write(`dockgate: serve: ${(err as Error).message}\n`);
    return 2;
  }
  const logger = createLogger(options.decisionLog, options.logLevel);
  const proxy = new Proxy({
    upstream: options.upstream,
    decisionPoint: decisionPointFor(options),
    logger,
    maxHeaderBytes: 64 * 1024,
    maxPipelined: 64,
    headerTimeoutMs: options.headerTimeoutMs,
  });
  const onConnection = (socket: import('node:net').Socket, identity: import('../../tenancy/index.js').Identity) => proxy.accept(socket, identity);

  const listeners: Listener[] = [];
  try {
    for (const address of options.listen) {
      if (address.kind === 'unix') listeners.push(await listenUnix(address, { mode: options.socketMode, gid: options.socketGid }, onConnection));
      else if (options.tls) listeners.push(await listenTls(address, options.tls, onConnection));
      else listeners.push(await listenInsecureTcp(address, onConnection));
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    process.stderr.write(`dockgate: serve: ${(err as Error).message}\n`);
    return 2;
  }
  logger.info({ listen: options.listen.map((a) => a.text), upstream: options.upstream.text }, 'dockgate serve ready');
  // Readiness line on stderr for scripts and humans (the request log may go elsewhere).
  process.stderr.write(`dockgate: serving ${options.listen.map((a) => a.text).join(', ')} -> ${options.upstream.text}\n`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal, connections: proxy.size }, 'shutting down');
  // Stop accepting first (socket files removed), then let in-flight requests finish.
  const closed = Promise.all(listeners.map((l) => l.close()));
  await proxy.shutdown(SHUTDOWN_GRACE_MS);
  await closed;
  logger.info('stopped');
  logger.flushNow();
  return 0;
}
