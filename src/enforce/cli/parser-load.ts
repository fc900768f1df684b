// Loads the shell parser (mvdan-sh, a large GopherJS build) for a short-lived process. Compiling
// its text is much of a hook call, so `npm run build` keeps V8's code cache for it beside this
// file (writeParserCache): the same source then runs without being compiled again. V8 checks that
// a cache was made from the same text by the same V8 with the same flags and ignores it
// otherwise, so a stale or foreign cache costs only the compile it was to save.
// It is loaded with require semantics, never `import`: importing a CommonJS module makes Node scan
// all of its text for export names first.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type mvdanShModule from 'mvdan-sh';

type MvdanSh = typeof mvdanShModule;

const require = createRequire(import.meta.url);

function cacheFile(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'mvdan-sh.v8cache');
}

/** The module's text inside the function Node's CommonJS loader would wrap it in. */
function compile(cachedData: Buffer | undefined): { script: vm.Script; file: string } {
  const file = require.resolve('mvdan-sh');
  const source = readFileSync(file, 'utf8');
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  return { script: new vm.Script(wrapped, { filename: file, ...(cachedData ? { cachedData } : {}) }), file };
}

function run(script: vm.Script, file: string): MvdanSh {
  const module = { exports: {} as MvdanSh };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(module.exports, module.exports, require, module, file, dirname(file));
  return module.exports;
}

export function loadShellParser(): MvdanSh {
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile());
  } catch {
    return require('mvdan-sh') as MvdanSh;
  }
  const { script, file } = compile(cachedData);
  return run(script, file);
}

/** Writes the code cache, taken after a first parse so that the functions a parse runs are in it. */
export function writeParserCache(): string {
  const { script, file } = compile(undefined);
  const sh = run(script, file);
  sh.syntax.NewParser().Parse('docker run --rm -v "$HOME/a:/a" bb sh -c \'echo $(id) | cat\' && x=1 y', '');
  const out = cacheFile();
  writeFileSync(out, script.createCachedData());
  return out;
}
