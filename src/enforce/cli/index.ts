// The CLI and coding-agent guard: `dockgate check` and `dockgate hook`.
export { runCheck } from './command.js';
export { runHook } from './hook.js';
export { runWrap } from './wrap.js';
