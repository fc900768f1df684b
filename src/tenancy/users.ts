// Resolves uids to user and group names through the system user database, with a short
// cache: a connection burst from one user costs one lookup, and a change made with
// usermod is seen within seconds.
import { groupIdsOf, groupNameById, userById } from './libc.js';

export interface UserInfo {
  user: string; // name, or the uid as text when the database does not know it
  groups: string[]; // every group name (or gid as text), primary first
  gids: number[];
}

const TTL_MS = 5_000;
const MAX_ENTRIES = 4096;
const cache = new Map<number, { info: UserInfo; expires: number }>();

export function resolveUser(uid: number, gid: number): UserInfo {
  const now = Date.now();
  const hit = cache.get(uid);
  if (hit && hit.expires > now && hit.info.gids[0] === gid) return hit.info;
  const info = lookup(uid, gid);
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(uid, { info, expires: now + TTL_MS });
  return info;
}

function lookup(uid: number, gid: number): UserInfo {
  const pw = userById(uid);
  if (!pw) return { user: String(uid), groups: [groupName(gid)], gids: [gid] };
  // The peer's primary gid comes first; then every group the database lists for the user.
  const gids = [gid];
  for (const g of groupIdsOf(pw.name, pw.gid)) if (!gids.includes(g)) gids.push(g);
  return { user: pw.name, groups: gids.map(groupName), gids };
}

function groupName(gid: number): string {
  return groupNameById(gid) ?? String(gid);
}

/** For tests: forget cached lookups. */
export function clearUserCache(): void {
  cache.clear();
}
