// Who owns an object at the daemon, as the tenancy Identity the proxy would have built for them
// had they sent the request: the `dockgate.owner` label, else the user the audit was told to
// assume (--as), else nobody known.
import { execFile } from 'node:child_process';
import { resolveUser, type Identity } from '../../tenancy/index.js';

/** The label that names an object's owner: the user the audit judges it for. */
export const OWNER_LABEL = 'dockgate.owner';

export interface Owner {
  /** The name shown in the report ("" when unknown). */
  name: string;
  /** Where the owner came from. */
  source: 'label' | 'as' | 'unknown';
  identity: Identity;
  /** Why the owner is not a user of this host, when it is not (shown with the finding). */
  note?: string;
}

export class OwnerError extends Error {}

/**
 * A caller with no Unix user behind it: no uid, no groups, no home. The pack judges such a
 * caller as an ordinary user who can mount nothing of the host.
 */
function unknownIdentity(name: string): Identity {
  return { uid: null, gid: null, user: name, groups: [], pid: null, via: 'peercred' };
}

/** Resolves owners by user name, each name asked of the user database once per audit. */
export class OwnerResolver {
  private readonly known = new Map<string, Promise<Identity | null>>();
  private fallback: Owner | undefined;

  /** `asUser`: the owner of objects without an owner label (checked by `init`). */
  constructor(private readonly asUser: string | undefined) {}

  /** Looks the --as user up; throws OwnerError when the host has no such user. */
  async init(): Promise<void> {
    if (this.asUser === undefined) {
      this.fallback = { name: '', source: 'unknown', identity: unknownIdentity(''), note: 'owner unknown' };
      return;
    }
    const identity = await this.identityOf(this.asUser);
    if (identity === null) throw new OwnerError(`--as ${this.asUser}: no such user on this host`);
    this.fallback = { name: identity.user, source: 'as', identity };
  }

  async ownerOf(labels: unknown): Promise<Owner> {
    const labelled =
      typeof labels === 'object' && labels !== null ? (labels as Record<string, unknown>)[OWNER_LABEL] : undefined;
    if (typeof labelled === 'string' && labelled !== '') {
      const identity = await this.identityOf(labelled);
      if (identity !== null) return { name: identity.user, source: 'label', identity };
      return {
        name: labelled,
        source: 'label',
        identity: unknownIdentity(labelled),
        note: `owner ${labelled} is not a user of this host`,
      };
    }
    if (!this.fallback) throw new Error('OwnerResolver.init was not awaited');
    return this.fallback;
  }

  private identityOf(name: string): Promise<Identity | null> {
    let hit = this.known.get(name);
    if (!hit) {
      hit = lookupUser(name);
      this.known.set(name, hit);
    }
    return hit;
  }
}

/**
 * The Identity of a user name (or a numeric uid), as peer credentials would give it for that
 * user's login: their uid and primary gid from the passwd database, then every group of theirs.
 * Null when the database has no such user.
 */
export async function lookupUser(name: string): Promise<Identity | null> {
  // getent takes a name or a uid; anything else (options, spaces, control bytes) is no user name.
  if (!/^[A-Za-z0-9_.][A-Za-z0-9_.@-]{0,255}$/.test(name)) return null;
  const entry = await getentPasswd(name);
  if (entry === null) return null;
  const { user, groups } = resolveUser(entry.uid, entry.gid);
  return { uid: entry.uid, gid: entry.gid, user, groups, pid: null, via: 'peercred' };
}

/** `getent passwd NAME`: uid and gid, or null when there is no such user. */
function getentPasswd(name: string): Promise<{ uid: number; gid: number } | null> {
  return new Promise((resolve, reject) => {
    execFile(
      'getent',
      ['passwd', '--', name],
      { timeout: 10_000, maxBuffer: 64 * 1024, encoding: 'utf8' },
      (err, stdout) => {
        // getent exits 2 when the key is not found.
        if (err && (err as { code?: unknown }).code === 2) return resolve(null);
        if (err) return reject(new OwnerError(`getent passwd ${name}: ${err.message}`));
        const fields = stdout.split('\n', 1)[0]!.split(':');
        const uid = Number(fields[2]);
        const gid = Number(fields[3]);
        if (
          fields.length < 7 ||
          !Number.isInteger(uid) ||
          !Number.isInteger(gid) ||
          fields[2] === '' ||
          fields[3] === ''
        ) {
          return reject(new OwnerError(`getent passwd ${name}: unreadable entry`));
        }
        resolve({ uid, gid });
      },
    );
  });
}
