// A Unix-socket server that answers the docker CLI like dockerd does, enough for it to send its
// requests, and records each one (method, path without the version, JSON body). Tests run the
// real `docker` client against it to learn what the CLI actually sends.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

export interface Recorded {
  method: string;
  target: string;
  /** The API version prefix the CLI used (e.g. "/v1.50"). */
  version: string;
  body: unknown;
}

export interface Recorder {
  sock: string;
  recorded: Recorded[];
  /** Runs `docker ARGS` in `cwd` against the recorder; resolves when it exits, whatever its code. */
  run(args: string[], cwd: string, env: Record<string, string>): Promise<Recorded[]>;
  /** Runs shell text with bash in `cwd`, the docker it starts talking to the recorder. */
  runShell(text: string, cwd: string, env: Record<string, string>): Promise<Recorded[]>;
  close(): void;
}

export async function startRecorder(dir: string): Promise<Recorder> {
  const sock = join(dir, 'recorder.sock');
  const recorded: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      data += d;
    });
    req.on('end', () => {
      res.setHeader('Api-Version', '1.50');
      res.setHeader('Ostype', 'linux');
      res.setHeader('Content-Type', 'application/json');
      const url = req.url ?? '';
      const version = /^\/v[0-9.]+/.exec(url)?.[0] ?? '';
      const target = url.slice(version.length);
      if (target === '/_ping') {
        res.end('OK');
        return;
      }
      const type = req.headers['content-type'] ?? '';
      recorded.push({
        method: req.method ?? '',
        target,
        version,
        body: data && type.includes('json') ? JSON.parse(data) : null,
      });
      if (target.startsWith('/containers/create')) {
        res.statusCode = 201;
        res.end('{"Id":"0123456789ab","Warnings":[]}');
      } else if (/^\/containers\/[^/]+\/json$/.test(target)) {
        res.end('{"Id":"0123456789ab","State":{"Running":true,"Status":"running"},"Config":{"Image":"bb"}}');
      } else if (/^\/containers\/[^/]+\/exec$/.test(target)) {
        res.statusCode = 201;
        res.end('{"Id":"e1"}');
      } else if (target.startsWith('/volumes/create')) {
        res.statusCode = 201;
        res.end('{"Name":"v"}');
      } else if (target.startsWith('/networks/create')) {
        res.statusCode = 201;
        res.end('{"Id":"n"}');
      } else {
        res.statusCode = 500;
        res.end('{"message":"recorded"}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  const exec = (program: string, args: string[], cwd: string, env: Record<string, string>): Promise<Recorded[]> => {
    recorded.length = 0;
    return new Promise((resolve) => {
      execFile(
        program,
        args,
        {
          cwd,
          env: { PATH: process.env.PATH ?? '', DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: dir, ...env },
          timeout: 20_000,
        },
        () => resolve([...recorded]),
      );
    });
  };
  return {
    sock,
    recorded,
    run: (args, cwd, env) => exec('docker', args, cwd, env),
    runShell: (text, cwd, env) => exec('bash', ['-c', text], cwd, env),
    close: () => server.close(),
  };
}
