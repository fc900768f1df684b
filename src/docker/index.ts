// Knowledge of the Engine API.
export { normaliseTarget, cleanPath, type NormalisedTarget } from './request-path.js';
export { mayHijack } from './hijack.js';
