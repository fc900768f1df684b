// Where the daemon listens, as given on the command line: unix://PATH or tcp://HOST:PORT.

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
