// The Dockerfile as the classic builder runs it: parsed as its parser does, substituted as its
// shell lexer does, with the base images' ONBUILD triggers in place; and the pack's judgement
// of that plan.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, type DockerfileInstruction } from '../../src/docker/dockerfile.js';
import { judgedDockerfile, planBuild, type ImageFacts } from '../../src/docker/build-plan.js';
import { substitute } from '../../src/docker/shell-lex.js';
import { readRequest, routeRequest } from '../../src/docker/request.js';
import type { InputIdentity } from '../../src/docker/input.js';
import { PolicyEngine, type PolicyDecision } from '../../src/policy/index.js';

const image = (over: Partial<ImageFacts> = {}): ImageFacts => ({
  env: ['PATH=/bin'],
  onbuild: [],
  os: 'linux',
  architecture: 'amd64',
  variant: '',
  ...over,
});

async function plan(
  text: string,
  opts: { buildArgs?: Record<string, string | null>; images?: Record<string, ImageFacts>; platform?: string } = {},
) {
  const looked: string[] = [];
  const p = await planBuild(parseDockerfile(text), {
    buildArgs: opts.buildArgs ?? {},
    platform: opts.platform ?? '',
    lookupImage: async (name) => {
      looked.push(name);
      return (opts.images ?? { base: image() })[name];
    },
  });
  return { ...p, looked };
}

const adds = (ins: DockerfileInstruction[]) => ins.filter((i) => i.cmd === 'ADD').map((i) => i.args);

describe('the shell lexer', () => {
  const env = new Map([
    ['U', 'http://h/x'],
    ['E', ''],
  ]);
  const cases: [string, string][] = [
    ['$U', 'http://h/x'],
    ['${U}', 'http://h/x'],
    ['${E:-http://d}', 'http://d'],
    ['${E-http://d}', ''],
    ['${N-http://d}', 'http://d'],
    ['${U:+http://p}', 'http://p'],
    ['${E:+http://p}', ''],
    ['${E+http://p}', 'http://p'],
    ['"$U"', 'http://h/x'],
    ["'$U'", '$U'],
    ['h"tt"p://x', 'http://x'],
    ['\\$U', '$U'],
    ['ht\\tp://x', 'http://x'],
    ['${N:-${U}}', 'http://h/x'],
    ['$N', ''],
    ['a$', 'a$'],
  ];
  for (const [word, want] of cases)
    test(`${word} → ${JSON.stringify(want)}`, () => assert.equal(substitute(word, env).word, want));
  test('unknown modifiers, unset ${V?} and unterminated quotes are errors, as the builder fails on them', () => {
    assert.throws(() => substitute('${U#http}', env), /unsupported/);
    assert.throws(() => substitute('${U:=x}', env), /unsupported modifier/);
    assert.throws(() => substitute('${N?}', env), /not allowed to be unset/);
    assert.throws(() => substitute('"abc', env), /double-quote/);
  });
  test('a backtick escape token', () => assert.equal(substitute('`$U', env, '`').word, '$U'));
});

describe('the build plan', () => {
  test('ARG defaults and build args are substituted into ADD', async () => {
    const p = await plan('FROM base\nARG U=http://127.0.0.1/x\nADD $U /x\n');
    assert.deepEqual(adds(p.instructions), [['http://127.0.0.1/x', '/x']]);
    assert.deepEqual(p.instructions[2]!.raw_args, ['$U', '/x']);
    assert.equal(p.lines[2], 'ADD http://127.0.0.1/x /x');
    const q = await plan('FROM base\nARG SRC=local.txt\nADD ${SRC} /x\n', { buildArgs: { SRC: 'http://evil/x' } });
    assert.deepEqual(adds(q.instructions), [['http://evil/x', '/x']]);
    // A build arg without a value (null) does not override the default.
    const r = await plan('FROM base\nARG SRC=local.txt\nADD ${SRC} /x\n', { buildArgs: { SRC: null } });
    assert.deepEqual(adds(r.instructions), [['local.txt', '/x']]);
  });

  test('a build arg for an undeclared ARG is not available, except the proxy variables', async () => {
    const p = await plan('FROM base\nADD ${SRC}${HTTP_PROXY} /x\n', {
      buildArgs: { SRC: 'http://evil/x', HTTP_PROXY: 'p' },
    });
    assert.deepEqual(adds(p.instructions), [['p', '/x']]);
  });

  test('ARGs before FROM are for FROM lines only, until a stage declares them', async () => {
    const p = await plan('ARG U=http://evil/x\nARG IMG=base\nFROM $IMG\nADD $U /a\nARG U\nADD $U /b\n');
    assert.deepEqual(p.looked, ['base']);
    assert.deepEqual(adds(p.instructions), [
      ['', '/a'],
      ['http://evil/x', '/b'],
    ]);
    assert.equal(p.instructions[2]!.args[0], 'base');
  });

  test('ENV of the base image and of earlier instructions, winning over an ARG of the same name', async () => {
    const p = await plan('FROM base\nADD $U /x\n', { images: { base: image({ env: ['U=http://from-image/x'] }) } });
    assert.deepEqual(adds(p.instructions), [['http://from-image/x', '/x']]);
    const q = await plan('FROM base\nARG U=safe\nENV U=http://env/x\nADD $U /x\n');
    assert.deepEqual(adds(q.instructions), [['http://env/x', '/x']]);
    const r = await plan('FROM base\nENV U=safe\nARG U=http://arg/x\nADD $U /x\n');
    assert.deepEqual(adds(r.instructions), [['safe', '/x']]);
  });

  test('the JSON form and quoted sources are substituted too', async () => {
    const p = await plan('FROM base\nARG U=http://j/x\nADD ["$U", "/x"]\nADD "http://q/x" /y\n');
    assert.deepEqual(adds(p.instructions), [
      ['http://j/x', '/x'],
      ['http://q/x', '/y'],
    ]);
  });

  test('substitution dockgate cannot do exactly leaves the raw word, with the reason', async () => {
    const p = await plan('FROM base\nARG U=http://x/y\nADD ${U#http} /x\n');
    const add = p.instructions[2]!;
    assert.deepEqual(add.args, ['${U#http}', '/x']);
    assert.match(add.expand_error ?? '', /unsupported/);
  });

  test('once an ENV or ARG cannot be substituted exactly, later variables stay unsubstituted', async () => {
    // dockerd may know U (a newer builder's pattern operator, nesting past dockgate's bound):
    // judging ADD $U with U unset would be judging another Dockerfile.
    const deep = `${'${X:-'.repeat(100)}http://deep/x${'}'.repeat(100)}`;
    for (const env of ['U=${V#p}', `U=${deep}`]) {
      const p = await plan(`FROM base\nENV ${env}\nADD $U /x\nADD plain.txt /y\nFROM base AS two\nADD $U /z\n`);
      const [first, plainAdd, later] = p.instructions.filter((i) => i.cmd === 'ADD');
      assert.deepEqual(first!.args, ['$U', '/x']);
      assert.match(first!.expand_error ?? '', /ENV on line 2 could not be substituted exactly/);
      assert.deepEqual(plainAdd!.args, ['plain.txt', '/y']);
      assert.deepEqual(later!.args, ['', '/z'], 'a stage FROM an image starts afresh');
    }
    const meta = await plan('ARG B=${V#p}\nFROM base\nARG B\nADD $B /x\n');
    assert.match(meta.instructions.find((i) => i.cmd === 'ADD')!.expand_error ?? '', /ARG on line 1/);
    const inherited = await plan('FROM base AS one\nENV U=${V#p}\nFROM one\nADD $U /x\n');
    assert.match(inherited.instructions.find((i) => i.cmd === 'ADD')!.expand_error ?? '', /ENV on line 2/);
  });

  test('ONBUILD triggers of the base image run right after FROM, substituted in the stage', async () => {
    const p = await plan('FROM base\nRUN true\n', {
      images: { base: image({ env: ['U=http://t/x'], onbuild: ['ADD $U /x', 'RUN echo hi'] }) },
    });
    assert.deepEqual(
      p.instructions.map((i) => [i.cmd, i.onbuild_of ?? null, i.line]),
      [
        ['FROM', null, 1],
        ['ADD', 'base', 1],
        ['RUN', 'base', 1],
        ['RUN', null, 2],
      ],
    );
    assert.deepEqual(p.instructions[1]!.args, ['http://t/x', '/x']);
    assert.match(p.lines[1]!, /ADD http:\/\/t\/x \/x \(ONBUILD of base\)/);
  });

  test("FROM an earlier stage runs that stage's own ONBUILD and inherits its ENV; scratch has none", async () => {
    const p = await plan('FROM base AS one\nENV U=http://stage/x\nONBUILD ADD $U /x\nFROM one\nFROM scratch\n');
    const trig = p.instructions.find((i) => i.onbuild_of);
    assert.equal(trig?.onbuild_of, 'stage one');
    assert.deepEqual(trig?.args, ['http://stage/x', '/x']);
    assert.deepEqual(p.looked, ['base']);
    assert.deepEqual(
      p.instructions.filter((i) => i.cmd === 'FROM').map((i) => i.base?.kind),
      ['image', 'stage', 'scratch'],
    );
  });

  test('a base image missing at the daemon, or one another platform would pull, is marked unknown', async () => {
    const p = await plan('FROM nothere:1\n', { images: {} });
    assert.deepEqual(p.instructions[0]!.base, {
      name: 'nothere:1',
      kind: 'image',
      found: false,
      problem: 'the base image nothere:1 is not present at the daemon, so its ONBUILD triggers cannot be judged',
    });
    const q = await plan('FROM --platform=linux/arm64 base\n');
    assert.equal(q.instructions[0]!.base?.found, false);
    const r = await plan('FROM base\n', { platform: 'linux/amd64' });
    assert.equal(r.instructions[0]!.base?.found, true);
  });

  test("a directive line of blanks is read in linear time, as Go's regex engine reads it", () => {
    const started = process.hrtime.bigint();
    assert.throws(() => parseDockerfile(`# escape=${' '.repeat(60_000)}x\nFROM base\n`), /invalid escape token/);
    assert.equal(parseDockerfile(`# syntax=${' '.repeat(60_000)}\nFROM base\n`).directives.syntax, ' ');
    assert.ok(process.hrtime.bigint() - started < 1_000_000_000n);
  });

  test('the parser follows the builder: escape directive, comments inside continuations, JSON after flags', () => {
    const d = parseDockerfile(
      '# escape=`\nFROM base\nADD --chown=1:1 `\n# a comment\n  http://x/y /z\nRUN ["a", "b"] trailing\n',
    );
    assert.equal(d.escapeToken, '`');
    assert.deepEqual(
      d.instructions.map((i) => [i.cmd, i.flags, i.args, i.line]),
      [
        ['FROM', {}, ['base'], 2],
        ['ADD', { chown: '1:1' }, ['http://x/y', '/z'], 3],
        ['RUN', {}, ['a', 'b'], 6],
      ],
    );
    assert.throws(() => parseDockerfile('FROM a\nBOGUS x\n'), /unknown instruction/);
    assert.throws(() => parseDockerfile('# nothing\n'), /no instructions/);
  });

  test('an ONBUILD trigger that does not parse makes the build unjudgeable (dockerd fails it too)', async () => {
    await assert.rejects(
      judgedDockerfile({ path: 'Dockerfile', text: 'FROM base\n' }, {}, async () => image({ onbuild: ['FROM x'] })),
      /cannot be built/,
    );
  });
});

describe('the pack judges the plan', () => {
  const alice: InputIdentity = {
    uid: 1000,
    gid: 1000,
    user: 'alice',
    groups: ['alice'],
    admin: false,
    pid: 1,
    home: '/home/alice',
    via: 'peercred',
  };
  const root: InputIdentity = { ...alice, uid: 0, user: 'root', admin: true, home: '/root' };
  let engine: PolicyEngine;
  before(async () => {
    engine = await PolicyEngine.load({});
  });

  async function judgeBuild(
    text: string,
    query = '',
    images: Record<string, ImageFacts> = { base: image() },
    identity = alice,
    headers: Record<string, string> = {},
  ): Promise<PolicyDecision> {
    const target = `/v1.41/build${query}`;
    const routed = routeRequest({ method: 'POST', target });
    const dockerfile = await judgedDockerfile(
      { path: 'Dockerfile', text },
      routed.apiPath.query,
      async (n) => images[n],
    );
    const { input } = await readRequest({
      routed,
      method: 'POST',
      target,
      headers,
      identity,
      layer: 'proxy',
      body: null,
      dockerfile,
    });
    return engine.decide(input);
  }
  const refused = (d: PolicyDecision, re: RegExp) => {
    assert.equal(d.allow, false, 'expected a refusal');
    assert.ok(
      d.reasons.some((r) => r.rule === 'build' && re.test(r.msg)),
      JSON.stringify(d.reasons),
    );
  };

  test('ADD from a URL through ARG, build args, base ENV, triggers and JSON form', async () => {
    refused(
      await judgeBuild('FROM base\nARG U=http://127.0.0.1/x\nADD $U /x\n'),
      /line 3: ADD from a URL \(http:\/\/127\.0\.0\.1\/x\)/,
    );
    refused(
      await judgeBuild('FROM base\nARG S=ok\nADD $S /x\n', `?buildargs=${encodeURIComponent('{"S":"HTTPS://e/x"}')}`),
      /ADD from a URL/,
    );
    refused(
      await judgeBuild('FROM base\nADD $U /x\n', '', { base: image({ env: ['U=ftp://e/x'] }) }),
      /ADD from a URL \(ftp:/,
    );
    refused(
      await judgeBuild('FROM base\n', '', { base: image({ onbuild: ['ADD http://e/x /x'] }) }),
      /ONBUILD trigger of base \(run after line 1\): ADD from a URL/,
    );
    refused(await judgeBuild('FROM base\nADD ["git@github.com:a/b","/x"]\n'), /ADD from a URL/);
    refused(await judgeBuild('FROM base\nARG U=x\nADD ${U/x/y} /x\n'), /could not be substituted exactly/);
  });

  test('FROM an earlier stage needs --no-cache: a cached image could stand in for the stage', async () => {
    const text = 'FROM base AS one\nRUN true\nFROM one\nRUN true\n';
    refused(await judgeBuild(text), /line 3: FROM the earlier stage one is refused with the build cache on/);
    const d = await judgeBuild(text, '?nocache=1');
    assert.deepEqual(d.reasons, []);
  });

  test('base images it cannot see, and build parameters it does not judge', async () => {
    refused(await judgeBuild('FROM gone:1\n', '', {}), /not present at the daemon/);
    refused(await judgeBuild('FROM base\n', '?pull=1'), /--pull is refused/);
    refused(await judgeBuild('FROM base\n', '?pull=%20True'), /--pull is refused/);
    refused(await judgeBuild('FROM base\n', '?networkmode=container:abc'), /--network=container:abc is refused/);
    refused(await judgeBuild('FROM base\n', '?networkmode=HOST'), /--network=host is refused/);
    refused(await judgeBuild('FROM base\n', '?networkmode=mynet'), /only the default bridge/);
    refused(await judgeBuild('FROM base\n', '?isolation=hyperv'), /--isolation/);
    refused(await judgeBuild('FROM base\n', '?securityopt=x'), /"securityopt" is not one dockgate judges/);
    refused(
      await judgeBuild('FROM base\n', '', { base: image() }, alice, {
        'Content-Type': 'application/x-www-form-urlencoded',
      }),
      /Content-Type/,
    );
  });

  test('what the docker CLI sends for a plain classic build passes, and admins keep their rights', async () => {
    const q =
      '?buildargs=%7B%7D&cachefrom=%5B%5D&cgroupparent=&cpuperiod=0&cpuquota=0&cpusetcpus=&cpusetmems=&cpushares=0&dockerfile=Dockerfile&labels=%7B%7D&memory=0&memswap=0&networkmode=default&pull=0&rm=1&shmsize=0&t=x&target=&ulimits=null&version=1';
    const ok = await judgeBuild('FROM base\nARG V=1\nCOPY . /src\nRUN echo $V\n', q);
    assert.deepEqual(ok.reasons, []);
    assert.equal(ok.allow, true);
    const admin = await judgeBuild('FROM gone:1\nADD http://e/x /x\n', '?networkmode=host&pull=1', {}, root);
    assert.equal(admin.allow, true);
  });
});

describe('flags are read byte by byte, as the builder reads them', () => {
  test('the 0xA0 byte of "à" ends a flag word, so what follows is a source', () => {
    const d = parseDockerfile('FROM base\nADD --chown=àhttp://evil/x /a /y\n');
    assert.deepEqual(d.instructions[1]!.args, ['http://evil/x', '/a', '/y']);
    assert.deepEqual(Object.keys(d.instructions[1]!.flags), ['chown']);
  });
});
