// The CLI and coding-agent guard: `dockgate check` and `dockgate hook`.
export { runCheck, runHook } from './command.js';
export { runWrap } from './wrap.js';
