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
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { type BundleFiles, bundleFiles, loadHookBundle } from './hook-launch.js';

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

function modulesOfOneScript(outDir: string): Plugin {
  const families = join(distSrc, 'rego', 'builtins', 'index.js');
  return {
    name: 'dockgate-one-script',
    setup(build) {
      let familyCases: string[] = [];
      build.onResolve({ filter: /^dockgate:builtin-families$/ }, () => ({
        path: 'builtin-families',
        namespace: 'dockgate',
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
        let text = readFileSync(args.path, 'utf8');
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
