// Re-frames a request whose body the decision point replaced (the canonical form of a JSON
// body that was judged): same request line and headers, but a Content-Length for the new
// body and no Transfer-Encoding or Expect. Header bytes are kept exactly as the client sent them.

const DROPPED = new Set(['content-length', 'transfer-encoding', 'expect']);

/** `head` is the request head up to and including the blank line. */
export function headForBody(head: Buffer, bodyLength: number): Buffer {
  const text = head.toString('latin1');
  const lines = text.split('\r\n');
  const kept: string[] = [lines[0]!];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const colon = line.indexOf(':');
    const name = (colon < 0 ? line : line.slice(0, colon)).trim().toLowerCase();
    if (!DROPPED.has(name)) kept.push(line);
  }
  kept.push(`Content-Length: ${bodyLength}`, '', '');
  return Buffer.from(kept.join('\r\n'), 'latin1');
}

/**
 * The same head with another request target: the request line's method and version are kept,
 * every header is kept byte for byte. `target` comes from the decision point, which never puts
 * white space in it.
 */
export function headWithTarget(head: Buffer, target: string): Buffer {
  const text = head.toString('latin1');
  const lineEnd = text.indexOf('\r\n');
  const [method, , version] = text.slice(0, lineEnd).split(' ');
  return Buffer.from(`${method} ${target} ${version}${text.slice(lineEnd)}`, 'latin1');
}

/**
 * The same head with one signed identity header for an authorization plugin behind dockerd
 * (`dockgate plugin`): any such header the client sent is dropped, so only the proxy's reaches it.
 */
export function headWithIdentity(head: Buffer, name: string, value: string): Buffer {
  const text = head.toString('latin1');
  const lines = text.split('\r\n');
  const kept: string[] = [lines[0]!];
  const lower = name.toLowerCase();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const colon = line.indexOf(':');
    if ((colon < 0 ? line : line.slice(0, colon)).trim().toLowerCase() !== lower) kept.push(line);
  }
  kept.push(`${name}: ${value}`, '', '');
  return Buffer.from(kept.join('\r\n'), 'latin1');
}
