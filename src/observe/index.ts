// Observability: request/decision logs.
export { createLogger, RequestLog, type Logger, type RequestRecord } from './request-log.js';
