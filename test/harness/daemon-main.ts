// Command-line face of the harness for scripts/test.sh and scripts/up.sh:
//   node dist/test/harness/daemon-main.js start   → prints "SOCKET PID DIR", daemon keeps running
//   node dist/test/harness/daemon-main.js stop PID DIR
//   node dist/test/harness/daemon-main.js image SOCKET
//   node dist/test/harness/daemon-main.js ping SOCKET   → exit 0 when a daemon answers there
import { removeDaemonDir, startDaemon, stopPid, waitForPing } from './daemon.js';
import { ensureTestImage } from './image.js';

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'start') {
    const d = await startDaemon();
    process.stdout.write(`${d.socket} ${d.pid} ${d.dir}\n`);
  } else if (cmd === 'stop') {
    await stopPid(Number(args[0]), 20_000);
    if (args[1]) removeDaemonDir(args[1]);
  } else if (cmd === 'ping') {
    await waitForPing(args[0]!, Number(args[1] ?? 1500));
  } else if (cmd === 'image') {
    process.stdout.write(ensureTestImage(args[0]!) + '\n');
  } else {
    process.stderr.write('usage: daemon-main start | stop PID DIR | image SOCKET | ping SOCKET [MS]\n');
    process.exitCode = 2;
  }
} catch (err) {
  process.stderr.write(`harness: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
