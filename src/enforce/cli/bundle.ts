// Build side of the hook bundle (`npm run build`, through precompile.ts): `dockgate hook` and
// everything it imports made into one CommonJS script by esbuild, and V8's code cache of that
// script taken after a few judged commands. A hook call then reads two files and compiles
// nothing it has compiled before, instead of resolving, reading and compiling its modules one by
// one. hook-launch.ts runs it.
//
// The modules are bundled from their compiled JavaScript in dist/ (what the tests run), with what
// only makes sense for separate modules rewritten:
//   import.meta.url  the module's own file, reckoned from where the bundle lies at run time
//   the shell parser loaded directly (parser-load.ts keeps a code cache for a lone module; the
//                    bundle's cache covers it)
//   Rego builtin families that are loaded on first use keep being loaded on first use, from
//                    inside the bundle: a family required from dist/ would bring its own copy of
//                    the Rego values, which the bundle's evaluator would not know
//   koffi            a native addon: required from node_modules at run time
// A module whose shape these rewrites no longer find fails the build, never the hook.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { type BundleFiles, bundleFiles, loadHookBundle } from './hook-bundle.js';

const here = dirname(fileURLToPath(import.meta.url));
const distSrc = join(here, '..', '..');

/** `text` with `pattern` replaced; fails the build when `pattern` is not in it. */
function rewrite(text: string, file: string, pattern: string | RegExp, by: string): string {
  const found = typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
  if (!found) throw new Error(`hook bundle: ${relative(distSrc, file)} no longer has ${String(pattern)}`);
  return text.replace(pattern, by);
}

/** Defined ahead of the modules, where `require` is still the script's own (a module may shadow it). */
const FILE_URL = '__dockgateFileUrl';
const FILE_URL_DEFINITION = `const ${FILE_URL} = (path) => require('node:url').pathToFileURL(require('node:path').join(__dirname, path)).href;`;

/**
 * What a startup snapshot cannot hold, for its bundle only: a module loaded from a file once the
 * script runs (Node's snapshot builder cannot require one), and so no native addon. The modules
 * that load a library on first use through createRequire get it from inside the bundle, and libc
 * (koffi) is replaced by functions that fail: the snapshot names its caller from the user files.
 */
const LIBC_ABSENT = [
  ...['peerCredentials', 'groupNameById', 'groupIdByName', 'groupIdsOf'].map(
    (name) => `export function ${name}() { throw new Error('no libc lookups in the hook snapshot'); }`,
  ),
  // The caller's own entry (the policy input's home): os.userInfo asks getpwuid_r as libc.ts does.
  "import { userInfo } from 'node:os';",
  'export function userById(uid) {',
  "  if (uid !== process.getuid()) throw new Error('no libc lookups in the hook snapshot');",
  '  let u;',
  '  try { u = userInfo(); } catch { return null; }',
  '  return { name: u.username, uid: u.uid, gid: u.gid, home: u.homedir };',
  '}',
].join('\n');

function fromInsideTheBundle(text: string, file: string): string {
  // `const require = createRequire(...)` would shadow the bundle's require; another name becomes it.
  let out = text.replace(/^const require = createRequire\(import\.meta\.url\);$/m, '');
  out = out.replace(/^const (\w+) = createRequire\(import\.meta\.url\);$/m, 'const $1 = require;');
  out = out.replaceAll('createRequire(import.meta.url)(', 'require(');
  if (out.includes('createRequire(import.meta.url)'))
    throw new Error(`hook snapshot: ${relative(distSrc, file)} loads modules in a way the bundle does not rewrite`);
  return out;
}

function modulesOfOneScript(outDir: string, snapshot = false): Plugin {
  const families = join(distSrc, 'rego', 'builtins', 'index.js');
  const libc = join(distSrc, 'tenancy', 'libc.js');
  return {
    name: 'dockgate-one-script',
    setup(build) {
      let familyCases: string[] = [];
      build.onResolve({ filter: /^dockgate:builtin-families$/ }, () => ({
        path: 'builtin-families',
        namespace: 'dockgate',
      }));
      if (snapshot)
        // node:http cannot be loaded while a snapshot is built: it is loaded when first used.
        build.onResolve({ filter: /^(node:)?http$/ }, () => ({ path: 'lazy-http', namespace: 'dockgate-lazy' }));
      build.onLoad({ filter: /.*/, namespace: 'dockgate-lazy' }, () => ({
        contents:
          "let http;\nexport default new Proxy({}, { get: (_, key) => (http ??= require('node:http'))[key] });\n",
        loader: 'js',
      }));
      build.onLoad({ filter: /.*/, namespace: 'dockgate' }, () => ({
        contents: `export function bundledFamily(name) {\n  switch (name) {\n    ${familyCases.join('\n    ')}\n  }\n  throw new Error('no builtin family ' + name);\n}\n`,
        resolveDir: dirname(families),
        loader: 'js',
      }));
      build.onLoad({ filter: /[\\/]enforce[\\/]cli[\\/]parser-load\.js$/ }, (args) => ({
        contents: "import mvdanSh from 'mvdan-sh';\nexport function loadShellParser() { return mvdanSh; }\n",
        resolveDir: dirname(args.path),
        loader: 'js',
      }));
      build.onLoad({ filter: /\.js$/ }, (args) => {
        if (!args.path.startsWith(distSrc)) return undefined;
        if (snapshot && args.path === libc) return { contents: LIBC_ABSENT, loader: 'js' };
        let text = readFileSync(args.path, 'utf8');
        if (snapshot) text = fromInsideTheBundle(text, args.path);
        const own = JSON.stringify(relative(outDir, args.path));
        text = text.replaceAll('import.meta.url', `${FILE_URL}(${own})`);
        if (args.path === families) {
          // Where Node cannot require ES modules the families are imported ahead with a top-level
          // await, which a script cannot hold; in the bundle each is required from inside it.
          text = rewrite(text, args.path, /if \(!canRequireESM\)\s*for \(const f of lazyFamilies\)[^;]*;/, '');
          text = rewrite(text, args.path, 'require(f.module).builtins', 'bundledFamily(f.module).builtins');
          const names = [...text.matchAll(/module: '(\.\/[\w-]+\.js)'/g)].map((m) => m[1] as string);
          if (names.length === 0) throw new Error('hook bundle: no builtin family found in rego/builtins/index.js');
          familyCases = names.map((n) => `case ${JSON.stringify(n)}: return require(${JSON.stringify(n)});`);
          // A function of its own module: in this one, `require` is the module's createRequire.
          text += "\nimport { bundledFamily } from 'dockgate:builtin-families';\n";
        }
        return { contents: text, loader: 'js' };
      });
    },
  };
}

/** Bundles the hook into `files.script` and writes its code cache; returns the files written. */
export async function writeHookBundle(files: BundleFiles = bundleFiles()): Promise<string[]> {
  const esbuild = await import('esbuild');
  const outDir = dirname(files.script);
  const result = await esbuild.build({
    entryPoints: [join(here, 'hook-entry.js')],
    outfile: files.script,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Fewer bytes to read at each call; names kept, as error messages and checks may read them.
    minify: true,
    keepNames: true,
    // hook-launch.ts reads the script as Latin-1 (no UTF-8 decoding): it must be ASCII.
    charset: 'ascii',
    external: ['koffi'],
    banner: { js: FILE_URL_DEFINITION },
    plugins: [modulesOfOneScript(outDir)],
    logLevel: 'silent',
  });
  if (result.warnings.length > 0)
    throw new Error(`hook bundle: ${result.warnings.map((w) => w.text).join('; ')} (a module needs a rewrite)`);
  for (const name of readdirSync(outDir))
    if (name.startsWith(`${basename(files.script)}.`) && name.endsWith('.v8cache')) rmSync(join(outDir, name));
  writeFileSync(files.cache, await warmedCache(files));
  return [files.script, files.cache];
}

/** The hook's startup snapshot: its script (kept beside the bundle, as its paths are reckoned from there) and blob. */
export function snapshotFiles(dir = here): { script: string; blob: string } {
  return { script: join(dir, 'hook.snapshot.cjs'), blob: join(dir, 'hook.snapshot.blob') };
}

/**
 * Bundles hook-snapshot.ts and has Node build the startup snapshot of it (see there); returns the
 * files written. The blob is written under another name and renamed, so that a hook call never
 * starts from half a blob.
 */
export async function writeHookSnapshot(files = snapshotFiles()): Promise<string[]> {
  const esbuild = await import('esbuild');
  const outDir = dirname(files.script);
  const result = await esbuild.build({
    entryPoints: [join(here, 'hook-snapshot.js')],
    outfile: files.script,
    bundle: true,
    platform: 'node',
    // The snapshot builder runs a script with require, __filename and __dirname, and no module.
    format: 'iife',
    target: 'node20',
    minify: true,
    keepNames: true,
    charset: 'ascii',
    banner: { js: FILE_URL_DEFINITION },
    plugins: [modulesOfOneScript(outDir, true)],
    logLevel: 'silent',
  });
  if (result.warnings.length > 0)
    throw new Error(`hook snapshot: ${result.warnings.map((w) => w.text).join('; ')} (a module needs a rewrite)`);
  const partial = `${files.blob}.${process.pid}.partial`;
  const env = { ...process.env };
  delete env.DOCKGATE_DECISION_LOG;
  delete env.NODE_OPTIONS; // the blob is only taken under the flags a hook call runs with: none
  const built = spawnSync(process.execPath, ['--snapshot-blob', partial, '--build-snapshot', files.script], {
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (built.status !== 0) {
    rmSync(partial, { force: true });
    throw new Error(
      `hook snapshot: node --build-snapshot failed (${built.status ?? built.signal}): ${built.stderr.trim()}`,
    );
  }
  renameSync(partial, files.blob);
  return [files.script, files.blob];
}

/** The bundle's code cache, taken once it has judged commands as a hook call does. */
async function warmedCache(files: BundleFiles): Promise<Buffer> {
  const loaded = loadHookBundle({ ...files, cache: join(tmpdir(), 'no-such-dockgate-cache') });
  if (loaded === undefined) throw new Error(`hook bundle: ${files.script} did not load`);
  const dir = await mkdtemp(join(tmpdir(), 'dockgate-warm-'));
  const logEnv = process.env.DOCKGATE_DECISION_LOG;
  try {
    // Judged as someone the pack does not exempt (a build may run as root, an admin by default),
    // so that the policy's rules run; and into no decision log.
    const config = join(dir, 'config.toml');
    writeFileSync(config, '[identity]\nadmins = []\n');
    delete process.env.DOCKGATE_DECISION_LOG;
    await loaded.bundle.warmHook(config);
  } finally {
    if (logEnv !== undefined) process.env.DOCKGATE_DECISION_LOG = logEnv;
    rmSync(dir, { recursive: true, force: true });
  }
  return loaded.script.createCachedData();
}
