// Heavy dependencies loaded on first use, not at start-up: the `yaml` package alone costs tens
// of milliseconds to import, and most policies never call a YAML builtin or carry METADATA
// blocks. Builtins are synchronous, so a dynamic import() cannot serve; createRequire gives a
// synchronous load of the package's CommonJS build (yaml ships one for Node).
import { createRequire } from 'node:module';

type YamlModule = typeof import('yaml');

const require = createRequire(import.meta.url);
let yaml: YamlModule | undefined;

/** The `yaml` package, imported the first time it is needed. */
export function yamlLib(): YamlModule {
  return (yaml ??= require('yaml') as YamlModule);
}
