// Heavy dependencies loaded on first use, not at start-up: most policies never call a YAML
// builtin or carry METADATA blocks, and re2js only matters to policies that compile a regex,
// glob or JSON-schema pattern, so neither is part of loading the engine (the load of the
// built-in pack is measured by bench/rego.ts). Builtins are synchronous, so a dynamic import() cannot serve; createRequire gives a
// synchronous load of the package's CommonJS build (both ship one for Node). Every user goes
// through these functions, so one build of each package is ever loaded.
import { createRequire } from 'node:module';

type YamlModule = typeof import('yaml');
type Re2Class = typeof import('re2js').RE2JS;

const require = createRequire(import.meta.url);
let yaml: YamlModule | undefined;

/** The `yaml` package, imported the first time it is needed. */
export function yamlLib(): YamlModule {
  return (yaml ??= require('yaml') as YamlModule);
}

let re2: Re2Class | undefined;

/** re2js's RE2JS class, imported the first time a pattern is compiled. */
export function re2Lib(): Re2Class {
  return (re2 ??= (require('re2js') as { RE2JS: Re2Class }).RE2JS);
}
