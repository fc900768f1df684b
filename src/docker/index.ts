// Knowledge of the Engine API.
export { parseApiPath, cleanPath, ApiPathError, type ApiPath } from './api-path.js';
export { mayHijack } from './hijack.js';
