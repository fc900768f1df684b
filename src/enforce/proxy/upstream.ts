// Connecting to the upstream daemon. Its address is read in docker/daemon-address.ts.
import net from 'node:net';
import type { Address } from '../../docker/daemon-address.js';
import { ReadBuffer } from './read-buffer.js';

export { parseAddress, type Address } from '../../docker/daemon-address.js';

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
