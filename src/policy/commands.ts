// `dockgate policy list | explain RULE | export [--out DIR]`: the built-in pack, for people.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify as stringifyToml } from 'smol-toml';
import { RULES, findRule } from './catalog.js';
import { DEFAULT_CONFIG } from './config.js';
import { builtinPackDir } from './engine.js';

export async function runPolicy(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const [sub, ...rest] = positionals;
  switch (sub) {
    case 'list':
      for (const r of RULES.list())
        process.stdout.write(`${r.id.padEnd(20)} ${r.defaultOn ? 'on ' : 'off'}  ${r.summary}\n`);
      return 0;
    case 'explain': {
      const id = rest[0];
      const rule = id ? findRule(id) : undefined;
      if (!rule) {
        process.stderr.write(
          `dockgate: policy explain: ${id ? `no rule "${id}"` : 'name a rule'} (see: dockgate policy list)\n`,
        );
        return 2;
      }
      process.stdout.write(
        `${rule.id} (${rule.defaultOn ? 'on by default' : 'off by default'}): ${rule.summary}\n\n` +
          `What it checks:\n  ${rule.checks}\n\nWhy it matters:\n  ${rule.why}\n\nHow to fix a refused command:\n  ${rule.fix}\n\n` +
          `Config: [rules.${rule.id.includes('-') ? `"${rule.id}"` : rule.id}] enabled = ${rule.defaultOn}\n`,
      );
      return 0;
    }
    case 'export': {
      const files = await packFiles();
      const out = values.out as string | undefined;
      if (!out) {
        for (const f of files) process.stdout.write(`# ---- ${f.name} ----\n${f.text}\n`);
        return 0;
      }
      await mkdir(out, { recursive: true });
      for (const f of files) {
        await mkdir(dirname(join(out, f.name)), { recursive: true });
        await writeFile(join(out, f.name), f.text);
      }
      await writeFile(
        join(out, 'dockgate.toml'),
        `# dockgate config: the defaults of the built-in pack.\n${stringifyToml(DEFAULT_CONFIG)}\n`,
      );
      process.stdout.write(`wrote ${files.length} policy files and dockgate.toml to ${out}\n`);
      return 0;
    }
    default:
      process.stderr.write(
        `dockgate: policy: ${sub ? `unknown subcommand "${sub}"` : 'missing subcommand'} (list, explain RULE, export [--out DIR])\n`,
      );
      return 2;
  }
}

async function packFiles(): Promise<{ name: string; text: string }[]> {
  const dir = builtinPackDir();
  const names = (await readdir(dir, { recursive: true })).filter((n) => n.endsWith('.rego')).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })));
}
