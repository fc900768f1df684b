// The few libc calls identity needs, bound once through koffi.
// Only Linux/glibc layouts are described here (dockgate runs next to dockerd on Linux).
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

const ucred = koffi.struct('dockgate_ucred', { pid: 'int32', uid: 'uint32', gid: 'uint32' });
const passwd = koffi.struct('dockgate_passwd', {
  pw_name: 'str',
  pw_passwd: 'str',
  pw_uid: 'uint32',
  pw_gid: 'uint32',
  pw_gecos: 'str',
  pw_dir: 'str',
  pw_shell: 'str',
});
const group = koffi.struct('dockgate_group', { gr_name: 'str', gr_passwd: 'str', gr_gid: 'uint32', gr_mem: 'void *' });
void ucred;
void passwd;
void group;

const getsockoptUcred = libc.func(
  'int getsockopt(int fd, int level, int name, _Out_ dockgate_ucred *val, _Inout_ uint32 *len)',
);
const getpwuid_r = libc.func(
  'int getpwuid_r(uint32 uid, _Out_ dockgate_passwd *pwd, uint8 *buf, size_t buflen, _Out_ void **result)',
);
const getgrgid_r = libc.func(
  'int getgrgid_r(uint32 gid, _Out_ dockgate_group *grp, uint8 *buf, size_t buflen, _Out_ void **result)',
);
const getgrnam_r = libc.func(
  'int getgrnam_r(str name, _Out_ dockgate_group *grp, uint8 *buf, size_t buflen, _Out_ void **result)',
);
const getgrouplist = libc.func('int getgrouplist(str user, uint32 group, _Out_ uint32 *groups, _Inout_ int *ngroups)');

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
const ERANGE = 34;

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** The credentials the kernel recorded for the peer of a connected Unix socket, or null. */
export function peerCredentials(fd: number): PeerCredentials | null {
  const out = { pid: 0, uid: 0, gid: 0 };
  const len = [12];
  if (getsockoptUcred(fd, SOL_SOCKET, SO_PEERCRED, out, len) !== 0) return null;
  return out;
}

/** Calls a getXXX_r function, growing the scratch buffer on ERANGE. */
function withScratch<T>(call: (buf: Buffer, out: T, result: unknown[]) => number, out: T): T | null {
  for (let size = 1024; size <= 1 << 20; size *= 4) {
    const result: unknown[] = [null];
    const rc = call(Buffer.alloc(size), out, result);
    if (rc === ERANGE) continue;
    if (rc !== 0 || result[0] === null) return null;
    return out;
  }
  return null;
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export function userById(uid: number): PasswdEntry | null {
  const pw = withScratch(
    (buf, out, result) => getpwuid_r(uid, out, buf, buf.length, result),
    {} as Record<string, unknown>,
  );
  if (!pw) return null;
  return { name: String(pw.pw_name), uid: Number(pw.pw_uid), gid: Number(pw.pw_gid), home: String(pw.pw_dir ?? '') };
}

export function groupNameById(gid: number): string | null {
  const gr = withScratch(
    (buf, out, result) => getgrgid_r(gid, out, buf, buf.length, result),
    {} as Record<string, unknown>,
  );
  return gr ? String(gr.gr_name) : null;
}

export function groupIdByName(name: string): number | null {
  const gr = withScratch(
    (buf, out, result) => getgrnam_r(name, out, buf, buf.length, result),
    {} as Record<string, unknown>,
  );
  return gr ? Number(gr.gr_gid) : null;
}

/** All group ids of `user` (primary `gid` included), as the system's group database lists them. */
export function groupIdsOf(user: string, gid: number): number[] {
  let capacity = 64;
  for (let attempt = 0; attempt < 6; attempt++) {
    const groups = new Uint32Array(capacity);
    const count = [capacity];
    const rc = getgrouplist(user, gid, groups, count);
    if (rc >= 0) return Array.from(groups.subarray(0, count[0]));
    capacity = Math.max(count[0]!, capacity * 2);
  }
  return [gid];
}
