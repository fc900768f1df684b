// Who runs the hook, read without native code: the hook's startup snapshot (hook-snapshot.ts)
// cannot hold a native addon, and loading one costs a hook call more than reading two small files.
// The answer must be the one the proxy reaches for the same uid (tenancy/users.ts, through libc):
// the user's name from the password database (os.userInfo asks the C library, whatever the NSS
// sources), the caller's gid first, then the groups the group database lists for the user, as
// getgrouplist gives them. The group database is read from /etc/group only where NSS takes groups
// from there alone (systemd adds no member to a real user's groups but its own dynamic entries);
// with any other source (LDAP, SSSD, NIS...) the answer is undefined and the caller uses libc.
// Groups are taken from the database, not from the process (getgroups): a group the process holds
// but the database no longer lists would make the guard more lenient than the proxy.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Identity } from '../../tenancy/index.js';

/** NSS group sources whose members /etc/group holds. */
const FILE_SOURCES = new Set(['files', 'systemd']);

/** The files the answer is read from (tests point them elsewhere). */
export interface UserFiles {
  nsswitch: string;
  group: string;
}

const SYSTEM_FILES: UserFiles = { nsswitch: '/etc/nsswitch.conf', group: '/etc/group' };

/** Whether the group database is /etc/group (glibc and musl read it alone when nsswitch.conf is absent). */
export function groupsFromFilesOnly(nsswitch: string | undefined): boolean {
  if (nsswitch === undefined) return true;
  const line = nsswitch
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .find((l) => /^group\s*:/.test(l));
  if (line === undefined) return true;
  const sources = line
    .slice(line.indexOf(':') + 1)
    .replace(/\[[^\]]*\]/g, ' ')
    .split(/\s+/)
    .filter((s) => s !== '');
  return sources.length > 0 && sources.every((s) => FILE_SOURCES.has(s));
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function parseGroups(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    // NIS compat lines (+, -) name another source: not read here, so not trusted either.
    if (line.startsWith('+') || line.startsWith('-')) throw new Error('/etc/group defers to NIS');
    const fields = line.split(':');
    if (fields.length < 4 || !/^\d+$/.test(fields[2] as string)) continue;
    out.push({
      name: fields[0] as string,
      gid: Number(fields[2]),
      members: (fields[3] as string).split(',').filter((m) => m !== ''),
    });
  }
  return out;
}

/**
 * The identity of this process as the proxy would name its uid; undefined when the group
 * database is not /etc/group alone (or cannot be read as such), so that libc must answer.
 */
export function identityFromFiles(files: UserFiles = SYSTEM_FILES): Identity | undefined {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid === undefined || gid === undefined) return undefined;
  try {
    if (!groupsFromFilesOnly(readIfPresent(files.nsswitch))) return undefined;
    const groups = parseGroups(readIfPresent(files.group) ?? '');
    const nameOf = (g: number) => groups.find((e) => e.gid === g)?.name ?? String(g);
    let pw: { username: string; gid: number } | undefined;
    try {
      const info = userInfo();
      pw = { username: info.username, gid: info.gid };
    } catch {
      pw = undefined; // a uid the password database does not know
    }
    if (pw === undefined) return { uid, gid, user: String(uid), groups: [nameOf(gid)], pid: process.pid, via: 'cli' };
    const gids = [gid];
    const listed = [pw.gid, ...groups.filter((e) => e.members.includes(pw.username)).map((e) => e.gid)];
    for (const g of listed) if (!gids.includes(g)) gids.push(g);
    return { uid, gid, user: pw.username, groups: gids.map(nameOf), pid: process.pid, via: 'cli' };
  } catch {
    return undefined;
  }
}
