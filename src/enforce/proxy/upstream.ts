// Addresses given on the command line (unix://PATH, tcp://HOST:PORT) and connecting to the upstream.
import net from 'node:net';
import { ReadBuffer } from './read-buffer.js';

export type Address =
  | { kind: 'unix'; path: string; text: string }
  | { kind: 'tcp'; host: string; port: number; text: string };

export function parseAddress(text: string, what: string): Address {
  if (text.startsWith('unix://')) {
    const path = text.slice('unix://'.length);
    if (!path.startsWith('/')) throw new Error(`${what}: unix socket path must be absolute: ${text}`);
    if (Buffer.byteLength(path) > 107) throw new Error(`${what}: unix socket path longer than 107 bytes: ${text}`);
    return { kind: 'unix', path, text };
  }
  if (text.startsWith('tcp://')) {
    const rest = text.slice('tcp://'.length);
    const colon = rest.lastIndexOf(':');
    const host = colon > 0 ? rest.slice(0, colon).replace(/^\[(.*)\]$/, '$1') : '';
    const port = Number(rest.slice(colon + 1));
    if (!host || !Number.isInteger(port) || port < 0 || port > 65535)
      throw new Error(`${what}: expected tcp://HOST:PORT, got ${text}`);
    return { kind: 'tcp', host, port, text };
  }
  throw new Error(`${what}: expected unix://PATH or tcp://HOST:PORT, got ${text}`);
}

/**
 * Opens a connection to the upstream daemon. Half-open so hijacked streams can half-close.
 *
 * The daemon's bytes are read into a buffer reused from read to read (read-buffer.ts).
 * `onData` must say, by returning true, when it kept a reference to the bytes it was given
 * (a write still pending, a partial head held back): the next read then goes to another buffer.
 * Call `reclaimReadBuffers` when no bytes read are referenced any more (the writes are done).
 */
export function connectUpstream(
  address: Address,
  onData: (bytes: Buffer) => boolean,
): { socket: net.Socket; reclaimReadBuffers: () => void } {
  const buffers = new ReadBuffer();
  let lent = false;
  const onread = buffers.onread(
    (bytes) => (lent = onData(bytes)),
    () => lent,
  );
  const socket =
    address.kind === 'unix'
      ? net.createConnection({ path: address.path, allowHalfOpen: true, onread })
      : net.createConnection({ host: address.host, port: address.port, allowHalfOpen: true, onread });
  if (address.kind === 'tcp') socket.setNoDelay(true);
  return { socket, reclaimReadBuffers: () => buffers.reclaim() };
}
