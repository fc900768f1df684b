// dockgate install into a temp root: the files each mode needs, idempotent, a foreign file never
// replaced, daemon.json merged with its other settings kept, and --dry-run writing nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { install } from '../../../src/enforce/plugin/install.js';
import { parseConfig } from '../../../src/policy/index.js';

function root(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'dginst-'));
}

function run(prefix: string, mode: 'proxy' | 'plugin' | 'both', dryRun = false) {
  const lines: string[] = [];
  const code = install(
    { mode, dryRun, prefix, name: 'dockgate', socketGroup: 'dockgate', bin: '/usr/bin/dockgate' },
    (l) => lines.push(l),
  );
  return { code, out: lines.join('\n') };
}

test('--mode both writes both units, the drop-in, daemon.json, a root-only key and require_proxy; again changes nothing', () => {
  const p = root();
  try {
    assert.equal(run(p, 'both').code, 0);
    const unit = fs.readFileSync(path.join(p, 'etc/systemd/system/dockgate-plugin.service'), 'utf8');
    assert.match(unit, /^Before=docker\.service$/m);
    assert.match(unit, /ExecStart=\/usr\/bin\/dockgate plugin --name dockgate/);
    const proxy = fs.readFileSync(path.join(p, 'etc/systemd/system/dockgate.service'), 'utf8');
    assert.match(proxy, /--socket-mode 660 --socket-group dockgate .*--identity-key \/etc\/dockgate\/proxy\.key/);
    assert.match(
      fs.readFileSync(path.join(p, 'etc/systemd/system/docker.service.d/dockgate.conf'), 'utf8'),
      /After=dockgate-plugin\.service/,
    );
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(p, 'etc/docker/daemon.json'), 'utf8')), {
      'authorization-plugins': ['dockgate'],
    });
    const key = path.join(p, 'etc/dockgate/proxy.key');
    assert.equal(fs.statSync(key).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(key).length, 32);
    const config = parseConfig(fs.readFileSync(path.join(p, 'etc/dockgate/dockgate.toml'), 'utf8'));
    assert.equal((config.plugin as { require_proxy: boolean }).require_proxy, true);
    const keyBefore = fs.readFileSync(key);
    const again = run(p, 'both');
    assert.equal(again.code, 0);
    assert.doesNotMatch(again.out, /^(create|update|change) /m);
    assert.deepEqual(fs.readFileSync(key), keyBefore);
  } finally {
    fs.rmSync(p, { recursive: true, force: true });
  }
});

test('a unit file dockgate did not write is left alone, reported with what was wanted, exit 1', () => {
  const p = root();
  try {
    const unit = path.join(p, 'etc/systemd/system/dockgate.service');
    fs.mkdirSync(path.dirname(unit), { recursive: true });
    fs.writeFileSync(unit, '[Service]\nExecStart=/bin/true\n');
    const r = run(p, 'proxy');
    assert.equal(r.code, 1);
    assert.match(r.out, /left alone \/etc\/systemd\/system\/dockgate\.service/);
    assert.equal(fs.readFileSync(unit, 'utf8'), '[Service]\nExecStart=/bin/true\n');
  } finally {
    fs.rmSync(p, { recursive: true, force: true });
  }
});

test('daemon.json keeps its other settings, a copy of it is kept, and the change is printed', () => {
  const p = root();
  try {
    const file = path.join(p, 'etc/docker/daemon.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const before = '{"log-driver":"journald","authorization-plugins":["other"]}';
    fs.writeFileSync(file, before);
    const r = run(p, 'plugin');
    assert.equal(r.code, 0);
    assert.match(r.out, /change \/etc\/docker\/daemon\.json: add "dockgate"/);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), {
      'log-driver': 'journald',
      'authorization-plugins': ['other', 'dockgate'],
    });
    assert.equal(fs.readFileSync(`${file}.before-dockgate`, 'utf8'), before);
    assert.equal(fs.existsSync(path.join(p, 'etc/systemd/system/dockgate.service')), false);
  } finally {
    fs.rmSync(p, { recursive: true, force: true });
  }
});

test('--dry-run prints every file and writes nothing', () => {
  const p = root();
  try {
    const r = run(p, 'both', true);
    assert.equal(r.code, 0);
    assert.match(r.out, /create \/etc\/systemd\/system\/dockgate-plugin\.service/);
    assert.match(r.out, /ExecStart=/);
    assert.deepEqual(fs.readdirSync(p), []);
  } finally {
    fs.rmSync(p, { recursive: true, force: true });
  }
});
