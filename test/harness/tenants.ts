// Real Unix users sharing one private daemon through `dockgate serve`: the set-up of the
// multi-user end-to-end tests. Each user gets a home of their own (the docker CLI writes its
// config there) and the docker CLI through the proxy, connecting as themselves.
import fs from 'node:fs';
import path from 'node:path';
import { testDaemon, type Daemon } from './daemon.js';
import { dockerAt } from './docker.js';
import { ensureTestImage } from './image.js';
import { startServe, type Served } from './serve.js';
import { createUser, type TestUser } from './users.js';

type Docker = ReturnType<typeof dockerAt>;

/** One user per entry of a tuple of group counts. */
type Users<G extends readonly number[]> = { [K in keyof G]: TestUser };

export interface UsersBehindServe<U extends readonly TestUser[] = TestUser[]> {
  /** One per entry of `extraGroups`, in its order. */
  users: U;
  daemon: Daemon;
  served: Served;
  image: string;
  /** A directory every user can enter: their homes and the config are in it. */
  dir: string;
  /** `user`'s home, where their docker CLI keeps its config. */
  home(user: TestUser): string;
  /** The docker CLI as `user`, through the proxy, with `env` added to its environment. */
  docker(user: TestUser, env?: Record<string, string>): Docker;
  /** The docker CLI as root on the daemon's own socket: what the daemon really holds. */
  direct: Docker;
  /** Stops the proxy and the daemon, removes the users and the directory. */
  stop(): Promise<void>;
}

/**
 * A user per entry of `extraGroups` (that many supplementary groups of their own each, e.g. one
 * to name in `admin_groups`), behind a proxy started with the dockgate.toml that `config` writes
 * for them, on a world-connectable socket. What was made is undone if a step fails.
 */
export async function usersBehindServe<const G extends readonly number[]>(
  extraGroups: G,
  config: (users: Users<G>) => string,
  prefix: string,
): Promise<UsersBehindServe<Users<G>>> {
  const made: TestUser[] = [];
  // Filled below, one per entry, before anything reads it.
  const users = made as unknown as Users<G>;
  const dir = fs.mkdtempSync(`/tmp/${prefix}`);
  let daemon: Daemon | undefined;
  try {
    for (const n of extraGroups) made.push(createUser(n));
    fs.chmodSync(dir, 0o755);
    for (const u of made) {
      const home = path.join(dir, u.name);
      fs.mkdirSync(home);
      fs.chownSync(home, u.uid, u.gid);
    }
    const configFile = path.join(dir, 'dockgate.toml');
    fs.writeFileSync(configFile, config(users));
    daemon = await testDaemon();
    const image = ensureTestImage(daemon.socket);
    const served = await startServe({
      upstream: daemon.socket,
      args: ['--socket-mode', '0666', '--config', configFile],
    });
    return behindServe(users, daemon, served, image, dir);
  } catch (err) {
    for (const u of made) u.remove();
    fs.rmSync(dir, { recursive: true, force: true });
    await daemon?.stop();
    throw err;
  }
}

function behindServe<U extends readonly TestUser[]>(
  users: U,
  daemon: Daemon,
  served: Served,
  image: string,
  dir: string,
): UsersBehindServe<U> {
  const home = (u: TestUser) => path.join(dir, u.name);
  return {
    users,
    daemon,
    served,
    image,
    dir,
    home,
    docker: (u, env = {}) =>
      dockerAt(served.socket, { as: { uid: u.uid, gid: u.gid }, env: { HOME: home(u), ...env } }),
    direct: dockerAt(daemon.socket),
    async stop() {
      await served.stop();
      for (const u of users) u.remove();
      fs.rmSync(dir, { recursive: true, force: true });
      await daemon.stop();
    },
  };
}
