// The socket proxy enforcement point: `dockgate serve`.
export { runServe } from './serve.js';
