// Responses the proxy writes itself, shaped like the daemon's errors so the docker CLI
// prints them: `Error response from daemon: <message>`.

const REASONS: Record<number, string> = {
  400: 'Bad Request', 403: 'Forbidden', 408: 'Request Timeout', 413: 'Payload Too Large',
  414: 'URI Too Long', 417: 'Expectation Failed', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
};

export function errorResponse(status: number, message: string, close: boolean): Buffer {
  const body = JSON.stringify({ message }) + '\n';
  const head =
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    (close ? 'Connection: close\r\n' : '') +
    '\r\n';
  return Buffer.from(head + body);
}

export const CONTINUE_100 = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n');
