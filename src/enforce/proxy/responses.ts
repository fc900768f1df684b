// Responses the proxy writes itself, shaped like the daemon's errors so the docker CLI
// prints them: `Error response from daemon: <message>`.

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
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
  return jsonResponse(status, Buffer.from(JSON.stringify({ message }) + '\n'), close, headOnly);
}

/** A JSON answer the proxy writes itself: an error, or a list it assembled. */
export function jsonResponse(status: number, body: Buffer, close: boolean, headOnly = false): Buffer {
  const head =
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${body.length}\r\n` +
    (close ? 'Connection: close\r\n' : '') +
    '\r\n';
  return headOnly ? Buffer.from(head) : Buffer.concat([Buffer.from(head), body]);
}

export const CONTINUE_100 = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n');
