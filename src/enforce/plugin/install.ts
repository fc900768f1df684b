// `dockgate install --mode proxy|plugin|both`: the files that run dockgate next to dockerd under
// systemd. The plugin unit starts before docker.service (dockerd refuses to start without its
// authorization plugin), the proxy unit after it; daemon.json names the plugin; a docker.service
// drop-in orders the two. Idempotent: a file already as wanted is left as it is. A file dockgate
// did not write is never replaced: it is reported with what was wanted, and the exit code says
// so. The one exception is daemon.json, which is dockerd's own: its other settings are kept, the
// plugin is added to `authorization-plugins`, and the change is printed (a copy of the file as it
// was is kept beside it). --dry-run prints every file and change and writes nothing.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../policy/index.js';

const MARK = '# Written by dockgate install; dockgate install rewrites it, your edits go in a drop-in.';

type Mode = 'proxy' | 'plugin' | 'both';

interface Planned {
  file: string;
  content: string | Buffer;
  mode: number;
  /**
   * ours: rewritten when marked as written by dockgate install; daemon-json: merged; secret:
   * made once; seed: made once, then the admin's (the config file).
   */
  kind: 'ours' | 'daemon-json' | 'secret' | 'seed';
}

export interface InstallOptions {
  mode: Mode;
  dryRun: boolean;
  prefix: string;
  name: string;
  socketGroup: string;
  bin: string;
}

/** The dockgate launcher of this installation (bin/dockgate beside dist/). */
function defaultBin(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // dist/src/enforce/plugin → the repository root.
  return path.resolve(here, '..', '..', '..', '..', 'bin', 'dockgate');
}

export async function runInstall(values: Record<string, unknown>): Promise<number> {
  const mode = values.mode;
  if (mode !== 'proxy' && mode !== 'plugin' && mode !== 'both') {
    process.stderr.write('dockgate: install: --mode proxy|plugin|both|wrapper is required\n');
    return 2;
  }
  const name = typeof values.name === 'string' ? values.name : 'dockgate';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    process.stderr.write(`dockgate: install: --name: letters, digits, '.', '_' and '-' only, got ${name}\n`);
    return 2;
  }
  const options: InstallOptions = {
    mode,
    dryRun: values['dry-run'] === true,
    prefix: path.resolve(typeof values.prefix === 'string' ? values.prefix : '/'),
    name,
    socketGroup: typeof values['socket-group'] === 'string' ? values['socket-group'] : 'dockgate',
    bin: defaultBin(),
  };
  try {
    return install(options, (line) => process.stdout.write(`${line}\n`));
  } catch (err) {
    process.stderr.write(`dockgate: install: ${(err as Error).message}\n`);
    return 2;
  }
}

/** Plans and (unless dry-run) writes; returns 0, or 1 when a file was left alone. */
export function install(o: InstallOptions, say: (line: string) => void): number {
  let leftAlone = 0;
  for (const p of plan(o)) {
    const target = path.join(o.prefix, p.file);
    const exists = fs.existsSync(target);
    if (p.kind === 'secret') {
      if (exists) say(`unchanged ${p.file} (a key is there; it is never replaced)`);
      else {
        say(`create ${p.file} (32 random bytes, mode 600)`);
        if (!o.dryRun) write(target, p.content, p.mode);
      }
      continue;
    }
    if (p.kind === 'seed') {
      if (!exists) {
        say(`create ${p.file}`);
        if (o.dryRun) say(indent(String(p.content)));
        else write(target, p.content, p.mode);
      } else if (o.mode === 'both' && !requiresProxy(fs.readFileSync(target, 'utf8'))) {
        leftAlone++;
        say(`left alone ${p.file}: it is yours; for --mode both add:`);
        say(indent('[plugin]\nrequire_proxy = true\nkey_file = "/etc/dockgate/proxy.key"'));
      } else say(`unchanged ${p.file} (your settings)`);
      continue;
    }
    if (p.kind === 'daemon-json') {
      const before = exists ? fs.readFileSync(target, 'utf8') : '';
      const merged = mergeDaemonJson(before, o.name, p.file);
      if (merged === before) {
        say(`unchanged ${p.file} (authorization-plugins already names ${o.name})`);
        continue;
      }
      say(`${exists ? 'change' : 'create'} ${p.file}: add "${o.name}" to "authorization-plugins"`);
      if (o.dryRun) say(indent(merged));
      else {
        if (exists && !fs.existsSync(`${target}.before-dockgate`)) fs.copyFileSync(target, `${target}.before-dockgate`);
        write(target, merged, 0o644);
      }
      continue;
    }
    const text = String(p.content);
    if (exists) {
      const current = fs.readFileSync(target, 'utf8');
      if (current === text) {
        say(`unchanged ${p.file}`);
        continue;
      }
      if (!current.startsWith(MARK)) {
        leftAlone++;
        say(`left alone ${p.file}: it exists and dockgate install did not write it; wanted:`);
        say(indent(text));
        continue;
      }
    }
    say(`${exists ? 'update' : 'create'} ${p.file}`);
    if (o.dryRun) say(indent(text));
    else write(target, text, p.mode);
  }
  if (o.dryRun) say('dry run: nothing was written');
  else {
    const units = [o.mode !== 'proxy' ? 'dockgate-plugin.service' : '', o.mode !== 'plugin' ? 'dockgate.service' : '']
      .filter(Boolean)
      .join(' ');
    say(`next: systemctl daemon-reload && systemctl enable --now ${units} && systemctl restart docker`);
  }
  return leftAlone > 0 ? 1 : 0;
}

function plan(o: InstallOptions): Planned[] {
  const out: Planned[] = [];
  const config = '/etc/dockgate/dockgate.toml';
  const key = '/etc/dockgate/proxy.key';
  const both = o.mode === 'both';
  out.push({
    file: config,
    mode: 0o644,
    kind: 'seed',
    content: `# dockgate settings: the built-in pack's rules (dockgate policy list) and [plugin].
# Written once by dockgate install; yours to edit (dockgate install leaves it as it is).
${both ? `\n[plugin]\n# Only requests that came through dockgate serve (signed) reach the daemon.\nrequire_proxy = true\nkey_file = "${key}"\n` : ''}`,
  });
  if (both) out.push({ file: key, mode: 0o600, kind: 'secret', content: randomBytes(32) });
  if (o.mode !== 'proxy') {
    out.push({
      file: '/etc/systemd/system/dockgate-plugin.service',
      mode: 0o644,
      kind: 'ours',
      content: `${MARK}
[Unit]
Description=dockgate authorization plugin for the Docker daemon
# dockerd refuses to start while its authorization plugin is missing.
Before=docker.service

[Service]
ExecStart=${o.bin} plugin --name ${o.name} --config ${config}
ExecReload=/bin/kill -HUP $MAINPID
Restart=always

[Install]
WantedBy=multi-user.target
RequiredBy=docker.service
`,
    });
    out.push({
      file: '/etc/systemd/system/docker.service.d/dockgate.conf',
      mode: 0o644,
      kind: 'ours',
      content: `${MARK}
[Unit]
Wants=dockgate-plugin.service
After=dockgate-plugin.service
`,
    });
    out.push({ file: '/etc/docker/daemon.json', mode: 0o644, kind: 'daemon-json', content: '' });
  }
  if (o.mode !== 'plugin') {
    out.push({
      file: '/etc/systemd/system/dockgate.service',
      mode: 0o644,
      kind: 'ours',
      content: `${MARK}
[Unit]
Description=dockgate policy proxy in front of the Docker daemon
After=docker.service
Requires=docker.service

[Service]
ExecStart=${o.bin} serve --listen unix:///run/dockgate.sock --upstream unix:///var/run/docker.sock --socket-mode 660 --socket-group ${o.socketGroup} --config ${config}${both ? ` --identity-key ${key}` : ''}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure

[Install]
WantedBy=multi-user.target
`,
    });
  }
  return out;
}

/** Whether a config file says [plugin] require_proxy = true (unreadable: no). */
function requiresProxy(text: string): boolean {
  try {
    return (parseConfig(text).plugin as { require_proxy?: boolean }).require_proxy === true;
  } catch {
    return false;
  }
}

/** daemon.json with `name` in authorization-plugins, every other setting kept. Throws on a file that is not a JSON object. */
function mergeDaemonJson(text: string, name: string, file: string): string {
  let doc: Record<string, unknown> = {};
  if (text.trim() !== '') {
    try {
      doc = JSON.parse(text);
    } catch {
      throw new Error(`${file} is not JSON: fix it, then run dockgate install again`);
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${file} is not a JSON object`);
  }
  const current = doc['authorization-plugins'];
  if (current !== undefined && !(Array.isArray(current) && current.every((x) => typeof x === 'string')))
    throw new Error(`${file}: "authorization-plugins" is not a list of names`);
  const list = (current as string[] | undefined) ?? [];
  if (list.includes(name)) return text;
  return `${JSON.stringify({ ...doc, 'authorization-plugins': [...list, name] }, null, 2)}\n`;
}

function write(target: string, content: string | Buffer, mode: number): void {
  fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
  const tmp = `${target}.dockgate-tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, target);
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
