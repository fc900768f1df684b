// What the docker CLI reads on the client side besides its arguments: the current directory
// (relative bind sources), the environment (`-e NAME`), and files (`--env-file`, `--label-file`,
// `seccomp=FILE`, a build's Dockerfile, compose files).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ArgvError } from './flags.js';

export interface ArgvContext {
  /** The directory the command runs in (absolute). */
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** A client-side file's text; throws ArgvError when it cannot be read. */
  readFile(path: string): string;
  /** Whether the buildx plugin is installed, which makes BuildKit the CLI's default builder. */
  buildxInstalled(): boolean;
}

/** Where the docker CLI looks for its plugins. */
const PLUGIN_DIRS = [
  '/usr/local/lib/docker/cli-plugins',
  '/usr/local/libexec/docker/cli-plugins',
  '/usr/lib/docker/cli-plugins',
  '/usr/libexec/docker/cli-plugins',
];

/** Client-side files are small (env files, seccomp profiles, Dockerfiles, compose files). */
const MAX_CLIENT_FILE = 1024 * 1024;

export function hostContext(cwd = process.cwd(), env: Record<string, string | undefined> = process.env): ArgvContext {
  return {
    cwd,
    env,
    buildxInstalled(): boolean {
      const dirs = [...PLUGIN_DIRS];
      const config = env.DOCKER_CONFIG ?? (env.HOME ? `${env.HOME}/.docker` : undefined);
      if (config) dirs.unshift(`${config}/cli-plugins`);
      return dirs.some((d) => existsSync(`${d}/docker-buildx`));
    },
    readFile(path: string): string {
      const full = isAbsolute(path) ? path : resolve(cwd, path);
      try {
        const st = statSync(full);
        if (!st.isFile()) throw new ArgvError(`${path} is not a file`);
        if (st.size > MAX_CLIENT_FILE) throw new ArgvError(`${path} is over ${MAX_CLIENT_FILE} bytes`);
        return readFileSync(full, 'utf8');
      } catch (err) {
        if (err instanceof ArgvError) throw err;
        throw new ArgvError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    },
  };
}
