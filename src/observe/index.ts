// Observability: request/decision logs.
export { createLogger, logRequest, type Logger, type RequestRecord } from './request-log.js';
