// Knowledge of the Engine API.
export { parseApiPath, cleanPath, type ApiPath } from './api-path.js';
export { Refusal } from './refusal.js';
export { mayHijack } from './routes.js';
