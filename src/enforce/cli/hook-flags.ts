// The flags of `dockgate hook`, read by the CLI's dispatch and by the hook bundle's entry alike.
export const HOOK_FLAGS = {
  format: { type: 'string' },
  strict: { type: 'boolean' },
  policy: { type: 'string', multiple: true },
  data: { type: 'string', multiple: true },
  config: { type: 'string' },
  'decision-log': { type: 'string' },
} as const;
