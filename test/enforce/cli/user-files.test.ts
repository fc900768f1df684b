// The hook's startup snapshot names its caller from the user and group files (user-files.ts): the
// same identity libc gives the proxy for this process's uid, and no answer at all where the group
// database is not /etc/group alone.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { currentIdentity } from '../../../src/enforce/cli/guard.js';
import { groupsFromFilesOnly, identityFromFiles } from '../../../src/enforce/cli/user-files.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dockgate-user-files-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function files(nsswitch: string | undefined, group: string) {
  const f = { nsswitch: join(dir, 'nsswitch.conf'), group: join(dir, 'group') };
  rmSync(f.nsswitch, { force: true });
  if (nsswitch !== undefined) writeFileSync(f.nsswitch, nsswitch);
  writeFileSync(f.group, group);
  return f;
}

test('the identity read from the files equals the one libc gives for this process', () => {
  const fromFiles = identityFromFiles();
  assert.ok(fromFiles, 'this machine takes groups from /etc/group');
  assert.deepEqual(fromFiles, currentIdentity());
});

test('groups: the caller gid first, then the primary group and every group listing the user, in file order', () => {
  const me = userInfo();
  const gid = process.getgid?.() as number;
  const group = [
    `first:x:${gid}:`,
    `primary:x:${me.gid}:`,
    `other:x:70001:someone,${me.username}`,
    'notmine:x:70002:someone',
    `again:x:70003:${me.username}`,
    `dup:x:70001:${me.username}`,
  ].join('\n');
  const id = identityFromFiles(files('group: files systemd\n', group));
  const expected = gid === me.gid ? ['first', 'other', 'again'] : ['first', 'primary', 'other', 'again'];
  assert.deepEqual(id?.groups, expected);
  assert.equal(id?.user, me.username);
  assert.equal(id?.via, 'cli');
});

test('a gid /etc/group does not name is shown as its number, as libc.ts shows it', () => {
  const id = identityFromFiles(files(undefined, ''));
  assert.equal(id?.groups[0], String(process.getgid?.()));
});

test('groups from LDAP, SSSD, NIS or an unreadable database: no answer, so that libc is asked', () => {
  for (const line of ['group: files ldap', 'group: sss files', 'group: compat', 'group: nis', 'group:'])
    assert.equal(identityFromFiles(files(`passwd: files\n${line}\n`, 'root:x:0:\n')), undefined, line);
  assert.equal(identityFromFiles(files('group: files\n', '+::::\n')), undefined, 'NIS compat entry');
  assert.equal(identityFromFiles({ nsswitch: dir, group: join(dir, 'group') }), undefined, 'unreadable nsswitch.conf');
});

test('nsswitch.conf: comments, actions and a missing group line', () => {
  assert.equal(groupsFromFilesOnly('group: files [NOTFOUND=return] systemd # local\n'), true);
  assert.equal(groupsFromFilesOnly('# group: ldap\npasswd: files\n'), true);
  assert.equal(groupsFromFilesOnly(undefined), true);
  assert.equal(groupsFromFilesOnly('group: files winbind\n'), false);
});
