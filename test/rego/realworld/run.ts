// The real-world corpus: `dockgate test` over public policy repositories, each run the way its
// own CI runs `opa test` (corpus.json). The repositories are not in this tree: each is taken
// from a fetched mirror (a bare git directory, /work/.mirror/<owner>+<name>/repo by default)
// at the commit recorded in corpus.json, extracted with `git archive` to a temporary folder.
//
//   node dist/test/rego/realworld/run.js [--mirrors DIR] [--only NAME]
//
// Prints one line per repository (tests run, passed) and a closing "N passed, N failed" over
// all tests. Exits 1 when a repository passes fewer tests than its floor, loads when it should
// not (or not when it should), or has no mirror (named as such, never counted as passing).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../conformance-lib.js';

interface Run {
  /** A glob of folders (`src/*\/*`): the run repeats in each, `{dir}` standing for it. */
  each?: string;
  args: string[];
}

interface Entry {
  name: string;
  repo: string;
  commit: string;
  runs: Run[];
  tests: number;
  floor: number;
  load_error?: string;
}

interface Outcome {
  tests: number;
  passed: number;
  loadErrors: string[];
}

const root = repoRoot();
const bin = join(root, 'bin', 'dockgate');

function main(): number {
  const argv = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const mirrors = opt('--mirrors') ?? '/work/.mirror';
  const only = opt('--only');
  const corpus = JSON.parse(readFileSync(join(root, 'test', 'rego', 'realworld', 'corpus.json'), 'utf8')) as {
    repos: Entry[];
  };
  let passed = 0;
  let failed = 0;
  let bad = 0;
  for (const e of corpus.repos) {
    if (only && e.name !== only) continue;
    const git = join(mirrors, e.repo.replace('/', '+'), 'repo');
    if (!existsSync(git)) {
      console.log(`${e.name}: NOT RUN, no mirror at ${git} (fetch github:${e.repo})`);
      bad++;
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), `dockgate-rw-${e.name}-`));
    try {
      execFileSync('sh', ['-c', 'git --git-dir="$1" archive "$2" | tar -x -C "$3"', 'sh', git, e.commit, dir]);
      const o = runEntry(e, dir);
      passed += o.passed;
      failed += o.tests - o.passed;
      const loadOk =
        e.load_error === undefined ? o.loadErrors.length === 0 : o.loadErrors.some((m) => m.includes(e.load_error!));
      const ok = loadOk && o.passed >= e.floor;
      if (!ok) bad++;
      const load = o.loadErrors.length > 0 ? `; did not load: ${o.loadErrors[0]}` : '';
      console.log(
        `${e.name} @${e.commit.slice(0, 7)}: ${o.passed}/${o.tests} passed (floor ${e.floor}, upstream ${e.tests})${load}${ok ? '' : '  <-- BELOW EXPECTATION'}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return bad > 0 ? 1 : 0;
}

function runEntry(e: Entry, dir: string): Outcome {
  const out: Outcome = { tests: 0, passed: 0, loadErrors: [] };
  for (const r of e.runs) {
    const folders = r.each ? expandDirs(dir, r.each) : [''];
    for (const f of folders) {
      const args = r.args.flatMap((a) => expandArg(dir, a.replace('{dir}', f)));
      const res = spawnSync(process.execPath, [bin, 'test', '--format', 'json', ...args], {
        cwd: dir,
        encoding: 'utf8',
        maxBuffer: 256 << 20,
      });
      if (res.status === 1) {
        out.loadErrors.push(res.stderr.trim().split('\n').pop() ?? '');
        continue;
      }
      const results = JSON.parse(res.stdout) as { fail?: boolean; skip?: boolean; error?: unknown }[];
      out.tests += results.length;
      out.passed += results.filter((t) => !t.fail && !t.skip && t.error === undefined).length;
    }
  }
  return out;
}

/** Folders matching a pattern of plain names and `*` (one level each), relative to dir. */
function expandDirs(dir: string, pattern: string): string[] {
  let cur = [''];
  for (const part of pattern.split('/')) {
    const next: string[] = [];
    for (const c of cur) {
      const names = part === '*' ? readdirSync(join(dir, c)).sort() : [part];
      for (const n of names)
        if (statSync(join(dir, c, n), { throwIfNoEntry: false })?.isDirectory()) next.push(c ? `${c}/${n}` : n);
    }
    cur = next;
  }
  return cur;
}

/** A shell-like `*.rego` in the last path element of an argument, as the upstream scripts' shell expands it. */
function expandArg(dir: string, a: string): string[] {
  const slash = a.lastIndexOf('/');
  const base = a.slice(slash + 1);
  // Only paths (`dir/*.rego`) expand; a flag's value such as --ignore '*.yaml' stays as it is.
  if (slash < 0 || !base.includes('*')) return [a];
  const parent = slash >= 0 ? a.slice(0, slash) : '.';
  const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  if (!existsSync(join(dir, parent))) return [];
  return readdirSync(join(dir, parent))
    .filter((n) => re.test(n))
    .sort()
    .map((n) => `${parent}/${n}`);
}

process.exit(main());
