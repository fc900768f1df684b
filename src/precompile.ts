// `npm run build` runs this after tsc: what a short-lived dockgate process would otherwise
// compute on every start, made once: the built-in pack compiled (policy/engine.ts), V8's code
// cache of the shell parser (enforce/cli/parser-load.ts), and `dockgate hook` as one script with
// its code cache (enforce/cli/bundle.ts).
import { writeHookBundle, writeHookSnapshot } from './enforce/cli/bundle.js';
import { writeParserCache } from './enforce/cli/parser-load.js';
import { writePackSnapshot } from './policy/engine.js';

try {
  const files = [...(await writePackSnapshot()), writeParserCache()];
  // After the pack: the bundle's warm-up judges with it.
  files.push(...(await writeHookBundle()), ...(await writeHookSnapshot()));
  process.stdout.write(`dockgate: precompiled ${files.join(', ')}\n`);
} catch (err) {
  process.stderr.write(`dockgate: precompile: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
