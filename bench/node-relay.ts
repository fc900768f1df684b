// The floor for a proxy written in Node: a bare Unix-socket relay that reads nothing, judges
// nothing and logs nothing, each client connection relayed to its own daemon connection, in
// the cheapest way Node offers (the way dockgate itself moves bytes): each read lands in a
// buffer reused while the other side has no write pending, and is written straight on, with
// backpressure and half-close. `npm run bench` runs it beside dockgate and HAProxy, so
// dockgate's figures can be read against what the runtime itself costs.
// With --with-libs it also carries what dockgate cannot run without: it asks each connection's
// peer credentials through koffi (as src/tenancy/libc.ts does) and logs a line per connection
// with pino. Its memory is then the floor of any proxy built on Node with those libraries.
// Usage: node dist/bench/node-relay.js LISTEN_PATH UPSTREAM_PATH [--with-libs]
import fs from 'node:fs';
import net from 'node:net';

const READ_SIZE = 64 * 1024;

const [listen, upstream, libs] = process.argv.slice(2);
if (!listen || !upstream || (libs !== undefined && libs !== '--with-libs')) {
  process.stderr.write('usage: node-relay LISTEN_PATH UPSTREAM_PATH [--with-libs]\n');
  process.exit(2);
}

/** Called on each accepted connection: nothing, or (--with-libs) its peer credentials and a log line. */
const onAccepted: (fd: number) => void = libs ? await withLibs() : () => {};

async function withLibs(): Promise<(fd: number) => void> {
  const [{ default: koffi }, { pino }] = await Promise.all([import('koffi'), import('pino')]);
  const libc = koffi.load('libc.so.6');
  koffi.struct('relay_ucred', { pid: 'int32', uid: 'uint32', gid: 'uint32' });
  const getsockopt = libc.func(
    'int getsockopt(int fd, int level, int name, _Out_ relay_ucred *val, _Inout_ uint32 *len)',
  );
  const log = pino(pino.destination('/dev/null'));
  return (fd) => {
    const cred = {};
    getsockopt(fd, 1 /* SOL_SOCKET */, 17 /* SO_PEERCRED */, cred, [12]);
    log.info({ cred }, 'connection');
  };
}

/** Node's `onread` option: reads go into a reused buffer and are written to `peer()`. */
function relayTo(peer: () => net.Socket) {
  let spare: Buffer | undefined;
  return {
    // The bytes of the last read may still sit in a pending write: then read into a new buffer.
    buffer: () => (peer()?.writableLength ? Buffer.allocUnsafe(READ_SIZE) : (spare ??= Buffer.allocUnsafe(READ_SIZE))),
    // false pauses this socket until the peer drains.
    callback: (n: number, buf: Uint8Array) => peer().write((buf as Buffer).subarray(0, n)),
  };
}

fs.rmSync(listen, { force: true });
const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (accepted) => {
  let client: net.Socket | undefined;
  const daemon = net.createConnection({ path: upstream, allowHalfOpen: true, onread: relayTo(() => client!) });
  // An accepted socket cannot be given `onread`: its handle is wrapped again, with one.
  const handle = (accepted as unknown as { _handle: unknown })._handle;
  (accepted as unknown as { _handle: unknown })._handle = null;
  accepted.destroy();
  onAccepted((handle as { fd: number }).fd);
  client = new net.Socket({
    handle,
    allowHalfOpen: true,
    readable: true,
    writable: true,
    onread: relayTo(() => daemon),
  } as net.SocketConstructorOpts);
  client.resume();
  const c = client;
  c.on('drain', () => daemon.resume());
  daemon.on('drain', () => c.resume());
  c.on('end', () => daemon.end());
  daemon.on('end', () => c.end());
  const close = () => {
    c.destroy();
    daemon.destroy();
  };
  for (const s of [c, daemon]) {
    s.on('error', close);
    s.on('close', close);
  }
});
server.listen(listen, () => process.stderr.write('node-relay: listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
