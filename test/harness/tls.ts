// Certificates for TLS tests, made by openssl in a directory of the test's own: a CA
// (ca.pem, ca-key.pem), a server certificate for 127.0.0.1 and localhost (server.pem,
// server-key.pem), and one client certificate per entry (FILE.pem, FILE-key.pem) whose common
// name is the entry's CN.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes the CA, the server certificate and `clients` (file name → common name) in `dir`. */
export function makeTestCertificates(dir: string, clients: Record<string, string>): void {
  const days = ['-days', '2'];
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    ...days,
    '-subj',
    '/CN=dockgate test CA',
  ]);
  const issue = (name: string, cn: string, ext: string) => {
    openssl(dir, [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}-key.pem`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    ]);
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    const ca = ['-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial'];
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      ...ca,
      '-out',
      `${name}.pem`,
      ...days,
      '-extfile',
      `${name}.ext`,
    ]);
  };
  issue('server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  for (const [name, cn] of Object.entries(clients)) issue(name, cn, 'extendedKeyUsage=clientAuth\n');
}

/** A port on loopback that nobody listens on now. */
export async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
