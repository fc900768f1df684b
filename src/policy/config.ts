// The TOML config that tunes the built-in pack, visible to Rego as data.dockgate.config.
//
// The file only states what differs from the defaults; it is deep-merged over DEFAULT_CONFIG.
// A key the defaults do not have, or a value of another type, is an error naming the key:
// a typo in a security tool's config must not silently leave a rule at its default.
import { readFile } from 'node:fs/promises';
import { parse as parseToml, TomlError } from 'smol-toml';

export type ConfigValue = boolean | number | string | ConfigValue[] | { [k: string]: ConfigValue };
export type Config = { [k: string]: ConfigValue };

export class ConfigError extends Error {}

/** The limits [quotas] sets, and [quotas.users.NAME] / [quotas.groups.NAME] override. */
const QUOTA_LIMITS = {
  /** Memory limit of a container that sets none, e.g. "2GiB" ("": none). */
  memory: '',
  /** The most memory a container may have ("": no most). */
  max_memory: '',
  /** CPUs of a container that sets none (0: none). */
  cpus: 0,
  /** The most CPUs a container may have (0: no most). */
  max_cpus: 0,
  /** Process limit of a container that sets none (0: none). */
  pids: 0,
  /** The most processes a container may have (0: no most). */
  max_pids: 0,
  /** The most running containers per user (0: no most). */
  max_running: 0,
  /** Only members of these groups may use GPUs ([]: no group needed). */
  gpu_groups: [] as string[],
  /** The most GPUs one user's running containers may hold together (0: no most). */
  max_gpus: 0,
};

/** Tables whose keys are names the config chooses (users, groups), each holding some QUOTA_LIMITS. */
const NAMED_TABLES: Readonly<Record<string, Config>> = {
  'quotas.users': QUOTA_LIMITS,
  'quotas.groups': QUOTA_LIMITS,
};

/** Every rule of the built-in pack with its switch and settings (see `dockgate policy list`). */
export const DEFAULT_CONFIG: Config = {
  /** Admins (below) are not bound by the pack's rules. */
  admins_exempt: true,
  identity: {
    /** User names that are admins. */
    admins: ['root'],
    /** Members of these groups are admins. */
    admin_groups: [],
  },
  tenancy: {
    /** Each user sees and reaches only their own containers, volumes, networks and images. */
    enabled: true,
    /** The label that names an object's owner, stamped on everything created through dockgate. */
    owner_label: 'dockgate.owner',
    /** Images without an owner label (pulled, loaded, imported) are visible to every user. */
    shared_images: true,
    /** Cgroup parent of every ordinary user's containers ("{user}" is the user's name; "": none set). */
    cgroup_parent: '',
  },
  /**
   * Per-container defaults and limits, and per-user totals, for ordinary users ([rules.quotas]).
   * [quotas.users.NAME] and [quotas.groups.NAME] override any of them for a user, or for members
   * of a group (the user's own table first, then their groups in order, then these).
   */
  quotas: { ...QUOTA_LIMITS, users: {}, groups: {} },
  daemon: {
    /** Host paths of Docker sockets; dockgate adds its upstream socket's real path. */
    sockets: ['/run/docker.sock', '/var/run/docker.sock'],
    /** dockerd's data root; dockgate fills it in from the daemon when left empty. */
    data_root: '',
    /** The daemon maps container root to another host user (userns-remap, rootless); filled in from the daemon. */
    remaps_users: false,
  },
  rules: {
    'unknown-endpoint': { enabled: true },
    plugins: { enabled: true },
    swarm: { enabled: true },
    privileged: { enabled: true },
    'host-namespaces': { enabled: true, allow: [] },
    'container-joins': { enabled: true },
    capabilities: { enabled: true, allow: [] },
    devices: { enabled: true, allow: [], allow_gpus: true },
    'security-opts': { enabled: true, allow_custom_seccomp: false, apparmor_profiles: ['docker-default'] },
    mounts: {
      enabled: true,
      allow_home: true,
      allow: [],
      forbid: [
        '/run/docker.sock',
        '/var/run/docker.sock',
        '/var/lib/docker',
        '/run/containerd',
        '/var/lib/containerd',
        '/proc',
        '/sys',
        '/dev',
        '/boot',
        '/etc',
      ],
    },
    sysctls: { enabled: true, allow: ['net.**'] },
    'run-as-caller': { enabled: true },
    'file-access': { enabled: true },
    lifecycle: { enabled: true },
    drivers: {
      enabled: true,
      volume: ['local'],
      log: ['json-file', 'local', 'journald', 'none'],
      network: ['bridge'],
      ipam: ['default'],
      subnets: [],
    },
    'volume-options': { enabled: true },
    'host-config': { enabled: true, runtimes: ['runc'] },
    'privileged-ports': { enabled: true, lowest: 1024 },
    'cgroup-parent': { enabled: true, allow: [] },
    'require-limits': { enabled: false, fields: ['Memory', 'PidsLimit'] },
    'allowed-registries': { enabled: false, allow: ['docker.io'] },
    'no-root-user': { enabled: false },
    'read-only-rootfs': { enabled: false },
    'no-new-privileges': { enabled: false },
    build: { enabled: true, allow_buildkit: false, allow_add_url: false, allowed_from: [] },
    quotas: { enabled: true },
  },
};

/** Reads and merges a TOML config file; no file means the defaults. */
export async function loadConfig(path: string | undefined): Promise<Config> {
  if (!path) return structuredClone(DEFAULT_CONFIG);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `${path}: cannot read config: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return parseConfig(text, path);
}

export function parseConfig(text: string, name = 'config'): Config {
  let parsed: Record<string, unknown>;
  try {
    parsed = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError)
      throw new ConfigError(`${name}:${err.line}:${err.column}: ${err.message.split('\n')[0]}`);
    throw err;
  }
  const config = mergeOver(DEFAULT_CONFIG, parsed, name, '') as Config;
  checkQuotaSizes(config, name);
  return config;
}

/** A size the policy reads with units.parse_bytes: digits and an optional unit ("512MiB", "2G"). */
const SIZE = /^[0-9]+(\.[0-9]+)?\s*([kmgtpe]i?b?)?$/i;

function checkQuotaSizes(config: Config, file: string): void {
  const quotas = config.quotas as Config;
  const tables: [string, Config][] = [['quotas', quotas]];
  for (const kind of ['users', 'groups'])
    for (const [n, t] of Object.entries(quotas[kind] as Config)) tables.push([`quotas.${kind}.${n}`, t as Config]);
  for (const [where, table] of tables)
    for (const k of ['memory', 'max_memory']) {
      const v = table[k];
      if (typeof v === 'string' && v !== '' && !SIZE.test(v))
        throw new ConfigError(
          `${file}: ${where}.${k} must be a size such as "512MiB" or "2GiB", not ${JSON.stringify(v)}`,
        );
    }
}

function mergeOver(defaults: ConfigValue, given: unknown, file: string, key: string): ConfigValue {
  const where = key || '(top level)';
  const named = NAMED_TABLES[key];
  if (named !== undefined) {
    // Each entry states only what it overrides: checked against the limits, not filled in.
    if (!isTable(given)) throw new ConfigError(`${file}: ${where} must be a table`);
    const out: Config = {};
    for (const [name, entry] of Object.entries(given)) {
      if (!isTable(entry)) throw new ConfigError(`${file}: ${key}.${name} must be a table`);
      const checked: Config = {};
      for (const [k, v] of Object.entries(entry)) {
        const sub = `${key}.${name}.${k}`;
        if (!(k in named)) throw new ConfigError(`${file}: unknown setting ${sub}${suggest(k, Object.keys(named))}`);
        checked[k] = mergeOver(named[k]!, v, file, sub);
      }
      out[name] = checked;
    }
    return out;
  }
  if (isTable(defaults)) {
    if (!isTable(given)) throw new ConfigError(`${file}: ${where} must be a table`);
    const out: Config = structuredClone(defaults);
    for (const [k, v] of Object.entries(given)) {
      const sub = key ? `${key}.${k}` : k;
      if (!(k in defaults))
        throw new ConfigError(`${file}: unknown setting ${sub}${suggest(k, Object.keys(defaults))}`);
      out[k] = mergeOver(defaults[k]!, v, file, sub);
    }
    return out;
  }
  if (Array.isArray(defaults)) {
    if (!Array.isArray(given) || !given.every((x) => typeof x === 'string'))
      throw new ConfigError(`${file}: ${where} must be a list of strings`);
    return given as string[];
  }
  if (typeof given !== typeof defaults) throw new ConfigError(`${file}: ${where} must be a ${typeof defaults}`);
  return given as ConfigValue;
}

function isTable(v: unknown): v is Config {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function suggest(k: string, known: string[]): string {
  const close = known.find((c) => c.replace(/[-_]/g, '') === k.replace(/[-_]/g, '').toLowerCase());
  return close ? ` (did you mean ${close}?)` : ` (known: ${known.join(', ')})`;
}
