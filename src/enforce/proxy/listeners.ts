// Listening sockets: a Unix socket (stale file replaced, mode and group applied) or TCP
// with TLS client certificates. Each accepted connection is tagged with who is calling.
import fs from 'node:fs';
import net from 'node:net';
import {
  anonymousTcpIdentity,
  identityFromTlsSocket,
  identityFromUnixSocket,
  type Identity,
} from '../../tenancy/index.js';
import type { Address } from './upstream.js';
import { ReadBuffer } from './read-buffer.js';

/**
 * Called with each accepted connection. Unix connections come with `reads`: their bytes are
 * read into reused buffers and handed over through it, not as 'data' events (TLS and plain
 * TCP connections emit 'data' as usual).
 */
export type OnConnection = (socket: net.Socket, identity: Identity, reads?: ReusedReads) => void;

/**
 * The reads of a connection whose bytes land in reused buffers (read-buffer.ts). Its owner sets
 * `receive` (each read's bytes: a direct call, cheaper than an EventEmitter 'data' event on
 * every read) and `held` (whether it still refers to the bytes of the last read: then the next
 * read goes to another buffer), and calls `reclaim` once it refers to no bytes read any more.
 * They live here, not as properties added to the socket: sockets that all keep Node's own shape
 * keep Node's write path fast.
 */
export interface ReusedReads {
  receive: (bytes: Buffer) => void;
  held: () => boolean;
  reclaim(): void;
}

export interface UnixListenOptions {
  /** Permission bits for the socket file (default 0o660). */
  mode: number;
  /** Group owning the socket file, or null to keep the process's group. */
  gid: number | null;
}

export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

export interface Listener {
  address: Address;
  close(): Promise<void>;
}

/** Whether something accepts connections at `path` (a live socket, as opposed to a stale file). */
function socketIsLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createConnection({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

async function clearStaleSocket(path: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!st.isSocket()) throw new Error(`--listen: ${path} exists and is not a socket; refusing to replace it`);
  if (await socketIsLive(path)) throw new Error(`--listen: another process is already listening on ${path}`);
  fs.unlinkSync(path);
}

function listening(server: net.Server, args: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    (server.listen as (...a: unknown[]) => void)(...args, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closing(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function guardSocket(socket: net.Socket): void {
  // A socket without an 'error' listener would crash the process on ECONNRESET.
  socket.on('error', () => socket.destroy());
}

/**
 * Re-wraps an accepted connection so that its reads land in a reused buffer (read-buffer.ts)
 * instead of a fresh 64 KiB allocation per read, handed over through the returned `reads`.
 */
function withReusedReadBuffer(accepted: net.Socket): { socket: net.Socket; reads: ReusedReads } {
  const handle = (accepted as unknown as { _handle: unknown })._handle;
  const buffers = new ReadBuffer();
  const reads: ReusedReads = {
    // Until an owner takes the connection over: 'data' events, and no buffer reused.
    receive: (bytes) => socket.emit('data', bytes),
    held: () => true,
    reclaim: () => buffers.reclaim(),
  };
  const onread = buffers.onread(
    (bytes) => reads.receive(bytes),
    () => reads.held(),
  );
  const socket = new net.Socket({
    handle,
    allowHalfOpen: true,
    readable: true,
    writable: true,
    onread,
  } as net.SocketConstructorOpts);
  // The server's own wrapper lets go of the handle; destroying it only counts the connection as gone.
  (accepted as unknown as { _handle: unknown })._handle = null;
  accepted.destroy();
  return { socket, reads };
}

export async function listenUnix(
  address: Address & { kind: 'unix' },
  options: UnixListenOptions,
  onConnection: OnConnection,
): Promise<Listener> {
  await clearStaleSocket(address.path);
  // Paused on connect: nothing is read before the connection is re-wrapped.
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (accepted) => {
    guardSocket(accepted);
    let identity: Identity | null = null;
    try {
      identity = identityFromUnixSocket(accepted);
    } catch {
      identity = null;
    }
    if (!identity) {
      accepted.destroy(); // no identity, no service
      return;
    }
    const { socket, reads } = withReusedReadBuffer(accepted);
    guardSocket(socket);
    onConnection(socket, identity, reads);
  });
  server.on('error', () => {});
  // Create the file with no access for others, then widen it: no window where it is too open.
  const oldUmask = process.umask(0o177);
  try {
    await listening(server, [address.path]);
  } finally {
    process.umask(oldUmask);
  }
  if (options.gid !== null) fs.chownSync(address.path, -1, options.gid);
  fs.chmodSync(address.path, options.mode);
  return {
    address,
    close: async () => {
      await closing(server);
      fs.rmSync(address.path, { force: true });
    },
  };
}

export async function listenTls(
  address: Address & { kind: 'tcp' },
  files: TlsFiles,
  onConnection: OnConnection,
): Promise<Listener> {
  // Loaded here, not at the top: a proxy on a Unix socket never pays for TLS in its memory.
  const tls = await import('node:tls');
  const server = tls.createServer(
    {
      allowHalfOpen: true,
      cert: fs.readFileSync(files.cert),
      key: fs.readFileSync(files.key),
      ca: fs.readFileSync(files.ca),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    (socket) => {
      guardSocket(socket);
      const identity = identityFromTlsSocket(socket);
      if (!identity) {
        socket.destroy();
        return;
      }
      onConnection(socket, identity);
    },
  );
  server.on('tlsClientError', () => {});
  server.on('error', () => {});
  await listening(server, [address.port, address.host]);
  return { address, close: () => closing(server) };
}

/** Plain TCP: anyone who can reach the port is anonymous. Only with --insecure-tcp. */
export async function listenInsecureTcp(
  address: Address & { kind: 'tcp' },
  onConnection: OnConnection,
): Promise<Listener> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    guardSocket(socket);
    onConnection(socket, anonymousTcpIdentity());
  });
  server.on('error', () => {});
  await listening(server, [address.port, address.host]);
  return { address, close: () => closing(server) };
}
