// The CLI guard's judgement: shell text (or one docker argv) → the requests it would send →
// the same decision core, policy and config as the proxy, with layer "cli" and the current user.
// A verdict is allow, deny (with the rule, the argument that set the field, why and the fix) or
// undecidable (what cannot be known before the command runs, or a daemon look-up that could not
// be made): never a silent allow.
import {
  type ArgvContext,
  ArgvError,
  type DockerRequest,
  dockerRequests,
  hostContext,
  Undecidable,
} from '../../docker/argv/index.js';
import { type DaemonPort, DecisionCore, type DenyReason, type PolicyEngine } from '../../policy/index.js';
import { type Identity, resolveUser } from '../../tenancy/index.js';
import type { DecisionLog } from './decision-log.js';
import { daemonLookups } from './lookups.js';
import { type Invocation, type ShellOptions, UNKNOWN, scanShell } from './shell.js';

export type Outcome = 'allow' | 'deny' | 'undecidable';

export interface Finding {
  outcome: Outcome;
  /** The command it is about (`docker run …`, or `service web in compose.yaml`). */
  command: string;
  /** The request judged (METHOD target), when there was one. */
  request?: string;
  /** Deny: the policy's reasons, each with the arguments that set what it judged. */
  reasons: (DenyReason & { arguments: string[] })[];
  /** Undecidable: why. Allow: what the proxy will do to it, and what the CLI does by itself. */
  notes: string[];
}

export interface GuardResult {
  outcome: Outcome;
  findings: Finding[];
}

export interface GuardOptions {
  engine: PolicyEngine;
  /** Refuse what the proxy would change rather than allow it with a note. */
  strict?: boolean;
  cwd?: string;
  env?: Record<string, string | undefined>;
  identity?: Identity;
  /** The daemon to ask (unix:// or tcp:// URL); from DOCKER_HOST when absent. */
  daemon?: string;
  /** Where each decision is logged, when it is. */
  log?: DecisionLog;
}

/** The caller is whoever runs the guard. */
export function currentIdentity(): Identity {
  const uid = process.getuid?.() ?? null;
  const gid = process.getgid?.() ?? null;
  if (uid === null || gid === null) return { uid, gid, user: 'unknown', groups: [], pid: process.pid, via: 'cli' };
  const { user, groups } = resolveUser(uid, gid);
  return { uid, gid, user, groups, pid: process.pid, via: 'cli' };
}

export class Guard {
  private readonly core: DecisionCore;
  private readonly identity: Identity;
  private readonly env: Record<string, string | undefined>;
  private readonly cwd: string;
  private readonly port: DaemonPort;

  constructor(private readonly options: GuardOptions) {
    this.core = new DecisionCore(options.engine);
    this.identity = options.identity ?? currentIdentity();
    this.env = options.env ?? process.env;
    this.cwd = options.cwd ?? process.cwd();
    this.port = daemonLookups(options.daemon ?? this.env.DOCKER_HOST);
  }

  /** Every docker invocation in `text`, judged. */
  async checkShell(text: string, readScript: ShellOptions['readScript']): Promise<GuardResult> {
    const scan = scanShell(text, { cwd: this.cwd, env: this.env, readScript });
    const findings: Finding[] = scan.undecidable.map((why) =>
      this.logged({ outcome: 'undecidable', command: 'shell', reasons: [], notes: [why] }, { shell: text }),
    );
    for (const inv of scan.invocations) findings.push(...(await this.checkInvocation(inv)));
    return { outcome: overall(findings), findings };
  }

  /** `docker ARGS` run here. */
  async checkArgv(args: string[]): Promise<GuardResult> {
    const findings = await this.checkInvocation({ args, cwd: this.cwd, env: {}, text: ['docker', ...args].join(' ') });
    return { outcome: overall(findings), findings };
  }

  private async checkInvocation(inv: Invocation): Promise<Finding[]> {
    const command = `docker ${inv.args.join(' ')}`.replaceAll(UNKNOWN, '…').slice(0, 200);
    const undecidable = (why: string): Finding[] => [
      this.logged({ outcome: 'undecidable', command, reasons: [], notes: [why] }, {}),
    ];
    if (inv.cwd === undefined && inv.args.some((a) => a.includes('.') || a.includes('-f')))
      return undecidable(
        'it runs after a `cd` to a directory only known when it runs, so relative paths cannot be resolved',
      );
    const env = { ...this.env, ...inv.env };
    const ctx: ArgvContext = hostContext(inv.cwd ?? this.cwd, env);
    let requests: DockerRequest[];
    try {
      requests = dockerRequests(inv.args, ctx);
    } catch (err) {
      if (inv.args.some((a) => a.includes(UNKNOWN)))
        return undecidable('some of its arguments are only known when it runs');
      if (err instanceof Undecidable) return undecidable(err.message);
      if (err instanceof ArgvError) return undecidable(`the docker CLI would not read it: ${err.message}`);
      throw err;
    }
    const findings: Finding[] = [];
    if (
      inv.env.DOCKER_HOST !== undefined ||
      inv.args.some((a) => a === '-H' || a.startsWith('--host') || a === '--context')
    )
      findings.push({
        outcome: 'allow',
        command,
        reasons: [],
        notes: ['it names its own daemon (DOCKER_HOST, -H or --context): judged by this policy all the same'],
      });
    for (const r of requests) findings.push(await this.judgeRequest(r, command));
    if (findings.length === 0) findings.push({ outcome: 'allow', command, reasons: [], notes: [] });
    return findings;
  }

  private async judgeRequest(r: DockerRequest, command: string): Promise<Finding> {
    const started = process.hrtime.bigint();
    const finding = await this.judgeOne(r, command);
    const ns = Number(process.hrtime.bigint() - started);
    return this.logged(finding, { Method: r.method, Path: `/v1.47${r.target}`, Body: r.body }, ns);
  }

  /** Logs `finding` when a decision log is configured; `input`: what was judged, besides the caller. */
  private logged(finding: Finding, input: Record<string, unknown>, judgeNs = 0): Finding {
    if (this.options.log === undefined) return finding;
    const { uid, gid, user, groups } = this.identity;
    this.options.log.write({
      input: { layer: 'cli', command: finding.command, ...input, identity: { uid, gid, user, groups } },
      result: {
        outcome: finding.outcome,
        allow: finding.outcome === 'allow',
        deny: finding.reasons.map(({ rule, msg, hint }) => ({ rule, msg, hint })),
        notes: finding.notes,
      },
      requestedBy: `uid:${uid ?? 'unknown'}(${user})`,
      judgeNs,
    });
    return finding;
  }

  private async judgeOne(r: DockerRequest, command: string): Promise<Finding> {
    const label = r.command.startsWith('service ') ? r.command : command;
    const request = `${r.method} ${r.target}`.replaceAll(UNKNOWN, '…').replaceAll(encodeURIComponent(UNKNOWN), '…');
    const unknownAt = unknownFields(r);
    if (unknownAt.length > 0)
      return {
        outcome: 'undecidable',
        command: label,
        request,
        reasons: [],
        notes: [`${unknownAt.join(', ')} is only known when the command runs`],
      };
    const bytes = r.body === null ? null : Buffer.from(JSON.stringify(r.body), 'utf8');
    const verdict = await this.core.judge(
      {
        method: r.method,
        target: `/v1.47${r.target}`,
        headers: r.dockerfile
          ? { 'content-type': 'application/x-tar' }
          : bytes === null
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(bytes.length) },
        body: bytes,
        ...(r.dockerfile ? { dockerfile: Promise.resolve(r.dockerfile) } : {}),
      },
      this.identity,
      this.port,
    );
    verdict.release?.();
    if (verdict.error)
      return {
        outcome: 'undecidable',
        command: label,
        request,
        reasons: [],
        notes: [verdict.message ?? 'the policy could not be evaluated'],
      };
    if (!verdict.allow) {
      const reasons =
        verdict.reasons.length > 0
          ? verdict.reasons.map((reason) => ({ ...reason, arguments: argumentsFor(reason, r) }))
          : [{ rule: 'request', msg: verdict.message ?? 'refused', hint: '', arguments: [] }];
      // A refusal that holds whatever the daemon would answer is a denial; one that rests only
      // on look-ups that could not be made is undecidable.
      const blind = (x: DenyReason) => /cannot look up|daemon is not reachable/.test(x.msg);
      if (reasons.some((x) => !blind(x)))
        return { outcome: 'deny', command: label, request, reasons: reasons.filter((x) => !blind(x)), notes: r.notes };
      if (reasons.length > 0)
        return {
          outcome: 'undecidable',
          command: label,
          request,
          reasons,
          notes: ['the verdict depends on the daemon, which could not be asked'],
        };
      return { outcome: 'deny', command: label, request, reasons, notes: r.notes };
    }
    const notes = [...r.notes];
    if (verdict.body !== undefined && bytes !== null && !verdict.body.equals(bytes)) {
      const changes = changedFields(r.body, JSON.parse(verdict.body.toString('utf8')));
      if (changes.length > 0) {
        const after = JSON.parse(verdict.body.toString('utf8')) as { User?: unknown };
        const before = r.body as { User?: unknown } | null;
        if (after?.User !== before?.User && typeof after?.User === 'string')
          notes.push(
            `this container will run as user ${after.User}: it mounts a host path, and such containers run as their caller`,
          );
        notes.push(`the proxy will change it: ${changes.join('; ')}`);
        if (this.options.strict)
          return {
            outcome: 'deny',
            command: label,
            request,
            reasons: [
              {
                rule: 'strict',
                msg: `the proxy would change this request (${changes.join('; ')})`,
                hint: 'run it without --strict to accept the change, or set the fields yourself',
                arguments: [],
              },
            ],
            notes,
          };
      }
    }
    return { outcome: 'allow', command: label, request, reasons: [], notes };
  }
}

function overall(findings: Finding[]): Outcome {
  if (findings.some((f) => f.outcome === 'deny')) return 'deny';
  if (findings.some((f) => f.outcome === 'undecidable')) return 'undecidable';
  return 'allow';
}

/** Where UNKNOWN reached something a policy reads (anything but the command the container runs). */
function unknownFields(r: DockerRequest): string[] {
  const out: string[] = [];
  if (r.target.includes(UNKNOWN) || r.target.includes(encodeURIComponent(UNKNOWN)))
    out.push('the request path (the object it names)');
  const walk = (x: unknown, path: string) => {
    if (out.length > 4) return;
    if (typeof x === 'string') {
      if (x.includes(UNKNOWN)) out.push(path || 'the body');
    } else if (Array.isArray(x)) {
      for (const [i, v] of x.entries()) walk(v, `${path}[${i}]`);
    } else if (x !== null && typeof x === 'object')
      for (const [k, v] of Object.entries(x)) {
        if (path === '' && (k === 'Cmd' || k === 'Env')) continue;
        walk(v, path ? `${path}.${k}` : k);
      }
  };
  walk(r.body, '');
  if (r.dockerfile?.text.includes(UNKNOWN)) out.push('the Dockerfile');
  return out;
}

/** Body fields each pack rule judges: the arguments that set them are the offending ones. */
const RULE_FIELDS: Record<string, string[]> = {
  privileged: ['HostConfig.Privileged', 'Privileged'],
  capabilities: ['HostConfig.CapAdd'],
  'cgroup-parent': ['HostConfig.CgroupParent', 'cgroup-parent'],
  'container-joins': ['HostConfig.VolumesFrom', 'HostConfig.PidMode', 'HostConfig.IpcMode', 'HostConfig.NetworkMode'],
  devices: ['HostConfig.Devices', 'HostConfig.DeviceRequests', 'HostConfig.DeviceCgroupRules'],
  'file-access': ['HostConfig.Binds', 'HostConfig.Mounts'],
  mounts: ['HostConfig.Binds', 'HostConfig.Mounts'],
  'host-namespaces': [
    'HostConfig.PidMode',
    'HostConfig.IpcMode',
    'HostConfig.UTSMode',
    'HostConfig.UsernsMode',
    'HostConfig.NetworkMode',
    'HostConfig.CgroupnsMode',
  ],
  'security-opts': ['HostConfig.SecurityOpt', 'HostConfig.MaskedPaths'],
  'no-new-privileges': ['HostConfig.SecurityOpt'],
  'no-root-user': ['User'],
  'run-as-caller': ['User', 'HostConfig.Binds', 'HostConfig.Mounts'],
  sysctls: ['HostConfig.Sysctls'],
  'host-config': ['HostConfig.Runtime', 'HostConfig.Mounts'],
  'volume-options': ['DriverOpts'],
  drivers: ['Driver'],
  build: ['network', 'cgroup-parent', 'file'],
};

function argumentsFor(reason: DenyReason, r: DockerRequest): string[] {
  const fields = RULE_FIELDS[reason.rule] ?? [];
  const out: string[] = [];
  for (const f of fields) for (const w of r.origins[f] ?? []) if (!out.includes(w)) out.push(w);
  // Several fields share a rule: keep the arguments the message names, when it names some.
  const named = out.filter((w) => {
    const flag = w.replace(/^-+/, '').split(/[= ]/)[0] ?? '';
    return flag.length > 2 && reason.msg.toLowerCase().includes(flag.toLowerCase());
  });
  return (named.length > 0 ? named : out).map((w) => w.replaceAll(UNKNOWN, '…'));
}

function changedFields(before: unknown, after: unknown, path = '', out: string[] = []): string[] {
  if (out.length > 8) return out;
  const obj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (obj(before) && obj(after)) {
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)]))
      changedFields(before[k], after[k], path ? `${path}.${k}` : k, out);
    return out;
  }
  if (JSON.stringify(before) !== JSON.stringify(after))
    out.push(`${path} ${JSON.stringify(before) ?? '(unset)'} → ${JSON.stringify(after)}`);
  return out;
}
