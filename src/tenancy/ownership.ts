// Who owns an object on a shared daemon: the owner label dockgate stamps on everything created
// through it. An object without the label (made before dockgate, or by hand on the daemon's own
// socket) is an admin's: ordinary users can neither see nor reach it, except what the config
// shares with everyone (base images, the daemon's predefined networks).

/** The caller as tenancy sees them: a name, and whether the config makes them an admin. */
export interface Tenant {
  user: string;
  admin: boolean;
}

/** The owner an object's labels name (null: no owner label, so an admin's or shared). */
export function ownerOf(labels: unknown, key: string): string | null {
  if (typeof labels !== 'object' || labels === null) return null;
  const owner = (labels as Record<string, unknown>)[key];
  return typeof owner === 'string' ? owner : null;
}

/**
 * Whether `tenant` may see and act on an object owned by `owner`. `shared`: the object carries
 * no owner label and is one the config shares with everybody.
 */
export function reaches(tenant: Tenant, owner: string | null, shared = false): boolean {
  if (tenant.admin) return true;
  if (owner === null) return shared;
  return owner === tenant.user;
}

/**
 * Facts that never change once true, such as the owner label of a container id or the
 * container of an exec id (labels cannot be changed after creation, ids are never reused):
 * remembered without expiry, bounded in number.
 */
export class FixedFacts<V> {
  private readonly facts = new Map<string, V>();
  constructor(private readonly limit = 4096) {}

  get(key: string): V | undefined {
    return this.facts.get(key);
  }

  set(key: string, value: V): void {
    if (this.facts.size >= this.limit) this.facts.clear();
    this.facts.set(key, value);
  }
}
