// Responses the proxy writes itself, shaped like the daemon's errors so the docker CLI
// prints them: `Error response from daemon: <message>`.

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  417: 'Expectation Failed',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * A Docker-shaped error. The answer to a HEAD request has the head only (HTTP forbids a body
 * there: a client would read the body as the start of its next answer).
 */
export function errorResponse(status: number, message: string, close: boolean, headOnly = false): Buffer {
  const body = JSON.stringify({ message }) + '\n';
  const head =
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    (close ? 'Connection: close\r\n' : '') +
    '\r\n';
  return Buffer.from(headOnly ? head : head + body);
}

export const CONTINUE_100 = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n');
