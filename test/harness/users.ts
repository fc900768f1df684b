// Throwaway Unix users for multi-user tests (root only), removed afterwards.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  /** Supplementary groups created for this user. */
  groups: string[];
  remove(): void;
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** Creates a user with its own primary group and `extraGroups` new supplementary groups. */
export function createUser(extraGroups = 0): TestUser {
  const tag = crypto.randomBytes(4).toString('hex');
  const name = `dgt${tag}`;
  const groups: string[] = [];
  for (let i = 0; i < extraGroups; i++) {
    const g = `dgg${tag}${i}`;
    sh('groupadd', [g]);
    groups.push(g);
  }
  sh('useradd', [
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    '--user-group',
    ...(groups.length ? ['--groups', groups.join(',')] : []),
    name,
  ]);
  const uid = Number(sh('id', ['-u', name]));
  const gid = Number(sh('id', ['-g', name]));
  return {
    name,
    uid,
    gid,
    groups,
    remove: () => {
      spawnSync('userdel', [name]);
      for (const g of groups) spawnSync('groupdel', [g]);
    },
  };
}

export function canManageUsers(): boolean {
  return process.getuid?.() === 0 && spawnSync('useradd', ['--help'], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs a Node script as uid:gid with that user's groups (`setpriv --init-groups`), the way a
 * real user's client would connect: stdin and stdout piped to the test, stderr shared.
 */
export function spawnNodeAs(as: { uid: number; gid: number }, script: string, args: string[]) {
  return spawn(
    'setpriv',
    ['--reuid', String(as.uid), '--regid', String(as.gid), '--init-groups', '--', process.execPath, script, ...args],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
}
