// The layering of docs/DESIGN.md, checked: arrows point one way between folders, and no
// module depends on itself through others (type-only imports count: they couple too).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle, type-only imports included, ties modules that should stand alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'rego-stands-alone',
      severity: 'error',
      comment: 'The Rego engine knows nothing of Docker, policies or enforcement.',
      from: { path: '^src/rego/' },
      to: { path: '^src/', pathNot: '^src/rego/' },
    },
    {
      name: 'lower-layers-do-not-reach-up',
      severity: 'error',
      comment: 'docker/, rego/, observe/ and tenancy/ are used by policy/ and enforce/, never the reverse.',
      from: { path: '^src/(docker|rego|observe|tenancy)/' },
      to: { path: '^src/(policy|enforce)/' },
    },
    {
      name: 'policy-does-not-reach-enforcement',
      severity: 'error',
      comment: 'policy/ decides; enforce/ asks it. The decision core knows no transport.',
      from: { path: '^src/policy/' },
      to: { path: '^src/enforce/' },
    },
    {
      name: 'enforcement-points-stand-apart',
      severity: 'error',
      comment: 'proxy/, plugin/, cli/ and audit/ share only what lives below them.',
      from: { path: '^src/enforce/([^/]+)/' },
      to: { path: '^src/enforce/', pathNot: '^src/enforce/$1/' },
    },
    {
      name: 'src-does-not-import-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'ir-is-plain-data',
      severity: 'error',
      comment: "The engine's IR is data: it imports nothing that evaluates.",
      from: { path: '^src/rego/ir\\.ts$' },
      to: { path: '^src/rego/', pathNot: '^src/rego/(ir|ast|value|builtins/registry)\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
