// How findings are shown: one block per object, reasons indented, hostile text kept on its line.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatJson, formatText } from '../../../src/enforce/audit/report.js';
import type { AuditReport } from '../../../src/enforce/audit/audit.js';

const identity = { uid: null, gid: null, user: '', groups: [], pid: null, via: 'peercred' as const };

describe('audit report', () => {
  test('text: head line, one indented line per reason and per change, a summary', () => {
    const report: AuditReport = {
      containers: 3,
      volumes: 1,
      findings: [
        {
          kind: 'container',
          id: 'ab'.repeat(32),
          name: 'web',
          owner: { name: 'alice', source: 'label', identity },
          reasons: [{ rule: 'privileged', msg: 'privileged mode is refused', hint: 'run without --privileged' }],
          changes: [],
        },
        {
          kind: 'container',
          id: 'cd'.repeat(32),
          name: 'bound',
          owner: { name: 'bob', source: 'as', identity },
          reasons: [],
          changes: [
            { path: 'User', before: '', after: '1000:1000' },
            { path: 'HostConfig.SecurityOpt', before: undefined, after: ['no-new-privileges'] },
          ],
        },
        {
          kind: 'volume',
          id: 'v',
          name: 'v',
          owner: { name: '', source: 'unknown', identity, note: 'owner unknown' },
          reasons: [{ rule: 'mounts', msg: 'mounting host path /etc is refused', hint: '' }],
          changes: [],
        },
      ],
      errors: [],
    };
    assert.equal(
      formatText(report),
      [
        `container ${'ab'.repeat(6)} web (owner alice)`,
        '  privileged: privileged mode is refused (run without --privileged)',
        `container ${'cd'.repeat(6)} bound (owner bob, from --as)`,
        '  mutate: the policy would change this container: User "" -> "1000:1000"; HostConfig.SecurityOpt (absent) -> ["no-new-privileges"]',
        'volume v (owner unknown)',
        '  mounts: mounting host path /etc is refused',
        'dockgate audit: 3 of 3 containers and 1 volume would not be allowed as they are',
        '',
      ].join('\n'),
    );
    const doc = JSON.parse(formatJson(report)) as { findings: { owner: unknown; changes: unknown[] }[] };
    assert.deepEqual(doc.findings[2]!.owner, { name: '', source: 'unknown', note: 'owner unknown' });
    assert.equal(doc.findings[1]!.changes.length, 2);
  });

  test('names, owners and messages from the daemon cannot start a line of their own', () => {
    const report: AuditReport = {
      containers: 1,
      volumes: 0,
      findings: [
        {
          kind: 'volume',
          id: 'x',
          name: 'x\ncontainer forged (owner root)',
          owner: { name: 'eve\r\nok', source: 'label', identity, note: 'owner eve is not a user of this host' },
          reasons: [{ rule: 'r', msg: 'a\nb\u2028c', hint: '' }],
          changes: [],
        },
      ],
      errors: [],
    };
    const lines = formatText(report).split('\n');
    assert.equal(lines.length, 4, lines.join('|'));
    assert.match(
      lines[0]!,
      /^volume x\\u000acontainer forged \(owner root\) \(owner eve\\u000d\\u000aok: owner eve is not a user of this host\)$/,
    );
    assert.equal(lines[1], '  r: a\\u000ab\\u2028c');
  });

  test('nothing found: the summary alone', () => {
    assert.equal(
      formatText({ containers: 1, volumes: 2, findings: [], errors: [] }),
      'dockgate audit: nothing found in 1 container and 2 volumes\n',
    );
  });
});
