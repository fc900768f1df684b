// `dockgate check` and `dockgate hook` as processes: exit codes, messages, and the PreToolUse
// hook's exact JSON in and out. The config makes no one an admin, so the test's user (root in
// CI) is judged as an ordinary user.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

const BIN = resolve(import.meta.dirname, '../../../../bin/dockgate');
let dir: string;
let config: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dockgate-check-'));
  config = join(dir, 'dockgate.toml');
  writeFileSync(config, '[identity]\nadmins = []\nadmin_groups = []\n');
  writeFileSync(join(dir, 'F.yaml'), 'services:\n  web:\n    image: bb\n    privileged: true\n');
});

after(() => rmSync(dir, { recursive: true, force: true }));

function dockgate(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    input: input ?? '',
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: dir, DOCKER_HOST: `unix://${join(dir, 'none.sock')}` },
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('check --shell refuses docker run --privileged with exit 1 and names the flag, the rule and the fix', () => {
  const r = dockgate(['check', '--config', config, '--shell', 'docker run --privileged bb']);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /privileged: privileged mode is refused/);
  assert.match(r.out, /\[--privileged\]/);
  assert.match(r.out, /fix: /);
});

test('check -- docker ARGS judges the argv as given, without a shell', () => {
  assert.equal(dockgate(['check', '--config', config, '--', 'docker', 'run', '-v', '/:/h', 'bb']).code, 1);
  assert.equal(dockgate(['check', '--config', config, '--', 'docker', 'ps']).code, 0);
  assert.equal(
    dockgate(['check', '--config', config, '--', '/usr/bin/docker', 'run', '--rm', 'bb', 'echo', 'hi']).code,
    0,
  );
});

test('check refuses a compose file with a privileged service, naming the service and file', () => {
  const r = dockgate(['check', '--config', config, '--shell', 'docker compose -f F.yaml up']);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /service web in F\.yaml/);
});

test('check exits 2 for a command name only known at run time', () => {
  const r = dockgate(['check', '--config', config, '--shell', '$D run bb']);
  assert.equal(r.code, 2, r.out + r.err);
  assert.match(r.out, /undecidable/);
});

test('check --json prints the verdict as one JSON document', () => {
  const r = dockgate(['check', '--json', '--config', config, '--shell', 'docker run --pid=host bb']);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.out) as {
    outcome: string;
    findings: { reasons: { rule: string; arguments: string[] }[] }[];
  };
  assert.equal(doc.outcome, 'deny');
  assert.equal(doc.findings[0]?.reasons[0]?.rule, 'host-namespaces');
  assert.deepEqual(doc.findings[0]?.reasons[0]?.arguments, ['--pid=host']);
});

test('check with neither --shell nor a command is a usage error (exit 2)', () => {
  assert.equal(dockgate(['check', '--config', config]).code, 2);
});

test('hook denies a Bash PreToolUse call running docker run --privileged, the reason naming privileged mode', () => {
  const event = {
    session_id: 's1',
    transcript_path: '/tmp/t.jsonl',
    cwd: dir,
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command: 'docker run --privileged bb', description: 'run it' },
  };
  const r = dockgate(['hook', '--config', config], JSON.stringify(event));
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { hookSpecificOutput: Record<string, string> };
  assert.deepEqual(Object.keys(out), ['hookSpecificOutput']);
  assert.equal(out.hookSpecificOutput.hookEventName, 'PreToolUse');
  assert.equal(out.hookSpecificOutput.permissionDecision, 'deny');
  assert.match(out.hookSpecificOutput.permissionDecisionReason as string, /privileged mode/);
});

test('hook asks about a command it cannot decide', () => {
  const event = { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'curl x | sh' } };
  const out = JSON.parse(dockgate(['hook', '--config', config], JSON.stringify(event)).out) as {
    hookSpecificOutput: Record<string, string>;
  };
  assert.equal(out.hookSpecificOutput.permissionDecision, 'ask');
});

test('hook passes a non-docker command and other tools untouched: no output, exit 0', () => {
  for (const event of [
    { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls -la' } },
    { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'docker ps' } },
    {
      hook_event_name: 'PreToolUse',
      tool_name: 'Write',
      tool_input: { file_path: '/tmp/x', content: 'docker run --privileged bb' },
    },
  ]) {
    const r = dockgate(['hook', '--config', config], JSON.stringify(event));
    assert.equal(r.code, 0);
    assert.equal(r.out, '', `${JSON.stringify(event)} → ${r.out}`);
  }
});

test('hook fails closed: input that is not JSON, and a policy that does not load, give a deny decision', () => {
  const bad = dockgate(['hook', '--config', config], '{not json');
  assert.equal(
    (JSON.parse(bad.out) as { hookSpecificOutput: Record<string, string> }).hookSpecificOutput.permissionDecision,
    'deny',
  );
  writeFileSync(join(dir, 'broken.rego'), 'package x\nallow if {');
  const event = { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'docker ps' } };
  const broken = dockgate(['hook', '--policy', join(dir, 'broken.rego')], JSON.stringify(event));
  assert.equal(broken.code, 0);
  assert.equal(
    (JSON.parse(broken.out) as { hookSpecificOutput: Record<string, string> }).hookSpecificOutput.permissionDecision,
    'deny',
  );
});

test('hook --format gemini: a BeforeTool run_shell_command call is denied with a reason; others get {}', () => {
  const deny = dockgate(
    ['hook', '--format', 'gemini', '--config', config],
    JSON.stringify({
      session_id: 's',
      cwd: dir,
      hook_event_name: 'BeforeTool',
      tool_name: 'run_shell_command',
      tool_input: { command: 'sudo docker run --privileged bb' },
    }),
  );
  assert.equal(deny.code, 0);
  const out = JSON.parse(deny.out) as { decision: string; reason: string };
  assert.equal(out.decision, 'deny');
  assert.match(out.reason, /privileged mode/);
  // Gemini has no "ask": what cannot be decided is denied.
  const unknown = dockgate(
    ['hook', '--format', 'gemini', '--config', config],
    JSON.stringify({
      hook_event_name: 'BeforeTool',
      tool_name: 'run_shell_command',
      tool_input: { command: '$D run bb' },
    }),
  );
  assert.equal((JSON.parse(unknown.out) as { decision: string }).decision, 'deny');
  const other = dockgate(
    ['hook', '--format', 'gemini', '--config', config],
    JSON.stringify({ hook_event_name: 'BeforeTool', tool_name: 'read_file', tool_input: { file_path: '/x' } }),
  );
  assert.deepEqual(JSON.parse(other.out), {});
});

test('hook --format cursor: beforeShellExecution answers deny or allow, and deny for what cannot be decided', () => {
  const run = (command: string) =>
    JSON.parse(
      dockgate(
        ['hook', '--format', 'cursor', '--config', config],
        JSON.stringify({ hook_event_name: 'beforeShellExecution', command, cwd: dir }),
      ).out,
    ) as { permission: string; user_message?: string; agent_message?: string };
  const denied = run('docker run --pid=host bb');
  assert.equal(denied.permission, 'deny');
  assert.match(denied.agent_message ?? '', /--pid=host/);
  const undecided = run('curl x | sh');
  assert.equal(undecided.permission, 'deny');
  assert.match(
    undecided.agent_message ?? '',
    /^dockgate cannot decide this command before it runs, so it is refused:\n/,
  );
  assert.deepEqual(run('docker ps'), { permission: 'allow' });
});

test('hook --format gemini and cursor print exactly the documented JSON, one line, with the same reason as claude', () => {
  const command = 'docker run --privileged bb';
  const claude = dockgate(
    ['hook', '--config', config],
    JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command }, cwd: dir }),
  );
  const reason = (JSON.parse(claude.out) as { hookSpecificOutput: { permissionDecisionReason: string } })
    .hookSpecificOutput.permissionDecisionReason;
  assert.match(reason, /privileged mode is refused/);
  const gemini = (c: string) =>
    dockgate(
      ['hook', '--format', 'gemini', '--config', config],
      JSON.stringify({
        session_id: 's',
        transcript_path: '/t.json',
        cwd: dir,
        hook_event_name: 'BeforeTool',
        timestamp: '2026-12-05T12:00:00.000Z',
        tool_name: 'run_shell_command',
        tool_input: { command: c, description: 'd' },
      }),
    ).out;
  assert.equal(gemini(command), `${JSON.stringify({ decision: 'deny', reason })}\n`);
  assert.equal(gemini('docker ps'), '{}\n');
  const cursor = (c: string) =>
    dockgate(
      ['hook', '--format', 'cursor', '--config', config],
      JSON.stringify({
        conversation_id: 'c',
        generation_id: 'g',
        hook_event_name: 'beforeShellExecution',
        workspace_roots: [dir],
        command: c,
        cwd: dir,
      }),
    ).out;
  assert.equal(
    cursor(command),
    `${JSON.stringify({ permission: 'deny', user_message: reason, agent_message: reason })}\n`,
  );
  assert.equal(cursor('docker ps'), '{"permission":"allow"}\n');
  // Undecidable: never "ask" (auto-review runs it), a deny whose reason says why, exactly.
  const undecided = dockgate(
    ['hook', '--config', config],
    JSON.stringify({
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: '$D run bb' },
      cwd: dir,
    }),
  );
  const why = (
    JSON.parse(undecided.out) as {
      hookSpecificOutput: { permissionDecision: string; permissionDecisionReason: string };
    }
  ).hookSpecificOutput;
  assert.equal(why.permissionDecision, 'ask');
  const refused = `dockgate cannot decide this command before it runs, so it is refused:\n${why.permissionDecisionReason}`;
  assert.equal(
    cursor('$D run bb'),
    `${JSON.stringify({ permission: 'deny', user_message: refused, agent_message: refused })}\n`,
  );
});

test('hook with an unknown --format still prints a deny decision', () => {
  const r = dockgate(['hook', '--format', 'other', '--config', config], '{}');
  assert.equal(r.code, 0);
  assert.equal(
    (JSON.parse(r.out) as { hookSpecificOutput: Record<string, string> }).hookSpecificOutput.permissionDecision,
    'deny',
  );
});

/** A Codex CLI PreToolUse event with every field its input schema requires. */
function codexEvent(command: string, toolName = 'Bash'): string {
  return JSON.stringify({
    session_id: '019a-session',
    transcript_path: null,
    cwd: dir,
    hook_event_name: 'PreToolUse',
    model: 'gpt-5-codex',
    permission_mode: 'default',
    tool_name: toolName,
    tool_input: { command },
    tool_use_id: 'call_1',
  });
}

test('hook --format codex: a Bash PreToolUse call running a refused docker command gets exactly a deny', () => {
  const r = dockgate(['hook', '--format', 'codex', '--config', config], codexEvent('docker run --privileged bb'));
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { hookSpecificOutput: Record<string, string> };
  assert.deepEqual(Object.keys(out), ['hookSpecificOutput']);
  assert.deepEqual(Object.keys(out.hookSpecificOutput), [
    'hookEventName',
    'permissionDecision',
    'permissionDecisionReason',
  ]);
  assert.equal(out.hookSpecificOutput.hookEventName, 'PreToolUse');
  assert.equal(out.hookSpecificOutput.permissionDecision, 'deny');
  assert.match(out.hookSpecificOutput.permissionDecisionReason ?? '', /privileged mode/);
});

test('hook --format codex: what cannot be decided is denied (Codex runs a command on "ask"), saying why', () => {
  const r = dockgate(['hook', '--format', 'codex', '--config', config], codexEvent('$D run bb'));
  const out = JSON.parse(r.out) as { hookSpecificOutput: Record<string, string> };
  assert.equal(out.hookSpecificOutput.permissionDecision, 'deny');
  assert.match(out.hookSpecificOutput.permissionDecisionReason ?? '', /cannot decide/);
  assert.match(out.hookSpecificOutput.permissionDecisionReason ?? '', /undecidable/);
});

test('hook --format codex: allowed commands and other tools get no output at all (Codex rejects "allow")', () => {
  for (const event of [codexEvent('docker ps'), codexEvent('ls -la'), codexEvent('*** Begin Patch', 'apply_patch')]) {
    const r = dockgate(['hook', '--format', 'codex', '--config', config], event);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '', event);
  }
});

test('hook --format codex fails closed: input that is not JSON gets a deny with a reason', () => {
  const r = dockgate(['hook', '--format', 'codex', '--config', config], '{"tool_name": "Bash",');
  assert.equal(r.code, 0);
  const out = JSON.parse(r.out) as { hookSpecificOutput: Record<string, string> };
  assert.equal(out.hookSpecificOutput.permissionDecision, 'deny');
  assert.ok((out.hookSpecificOutput.permissionDecisionReason ?? '').trim().length > 0);
});
