// Who is on the other end of a connection: the kernel's word on a Unix socket
// (SO_PEERCRED), or the verified client certificate on TLS.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { peerCredentials } from './libc.js';
import { resolveUser } from './users.js';

/**
 * The caller, as the enforcement point knows them. Whether they are an administrator is the
 * policy configuration's word, not the connection's: policy/identity.ts derives it.
 */
export interface Identity {
  uid: number | null;
  gid: number | null;
  user: string;
  groups: string[];
  pid: number | null;
  /**
   * How the caller was named: by the kernel, a client certificate, nobody (plain TCP), the
   * proxy's signed header, the CLI guard, or not at all (a plugin told nothing by dockerd).
   */
  via: 'peercred' | 'tls' | 'insecure-tcp' | 'proxy-header' | 'cli' | 'unknown';
}

/** Identity of the peer of an accepted Unix-socket connection, or null when the kernel cannot say. */
export function identityFromUnixSocket(socket: Socket): Identity | null {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  const cred = peerCredentials(fd);
  if (!cred) return null;
  const { user, groups } = resolveUser(cred.uid, cred.gid);
  return { uid: cred.uid, gid: cred.gid, user, groups, pid: cred.pid, via: 'peercred' };
}

/** Identity of a TLS client: the subject CN of its verified certificate, or null. */
export function identityFromTlsSocket(socket: TLSSocket): Identity | null {
  if (!socket.authorized) return null;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (!name) return null;
  return { uid: null, gid: null, user: name, groups: [], pid: null, via: 'tls' };
}

/** Plain TCP proves nothing about the caller; only allowed with --insecure-tcp. */
export function anonymousTcpIdentity(): Identity {
  return { uid: null, gid: null, user: 'anonymous', groups: [], pid: null, via: 'insecure-tcp' };
}
