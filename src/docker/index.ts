// Knowledge of the Engine API.
export { parseApiPath, type ApiPath } from './api-path.js';
export { Refusal } from './refusal.js';
export { mayHijack } from './routes.js';
