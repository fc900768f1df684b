// The floor for any proxy written in Node: a bare Unix-socket relay that reads nothing, judges
// nothing and logs nothing, each client connection piped to its own daemon connection.
// `npm run bench` runs it beside dockgate and HAProxy, so dockgate's figures can be read against
// what the runtime itself costs. Usage: node dist/bench/node-pipe.js LISTEN_PATH UPSTREAM_PATH
import fs from 'node:fs';
import net from 'node:net';

const [listen, upstream] = process.argv.slice(2);
if (!listen || !upstream) {
  process.stderr.write('usage: node-pipe LISTEN_PATH UPSTREAM_PATH\n');
  process.exit(2);
}
fs.rmSync(listen, { force: true });
const server = net.createServer({ allowHalfOpen: true }, (client) => {
  const daemon = net.createConnection({ path: upstream, allowHalfOpen: true });
  client.pipe(daemon);
  daemon.pipe(client);
  const close = () => {
    client.destroy();
    daemon.destroy();
  };
  client.on('error', close);
  daemon.on('error', close);
  client.on('close', close);
  daemon.on('close', close);
});
server.listen(listen, () => process.stderr.write('node-pipe: listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
