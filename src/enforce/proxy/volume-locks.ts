// Named volumes held by requests in flight. A container create is judged on what its named
// volumes are when dockgate looks them up; between that look-up and dockerd's own, the caller
// could remove a plain volume and create a bind-backed one under the same name (or create it
// first). So while a create that mounts volume V is in flight, no request may create, remove
// or prune V through dockgate, and while one of those is in flight, no create may mount V.
// Creates share a volume with each other, unless one would create it with driver options of its
// own (a --mount volume with inline options): that one holds it as a volume create does. A lock
// is let go when its request's exchange ends, and at the latest after MAX_HOLD_MS (an exchange
// whose connection vanished mid-decision).

export class VolumeBusyError extends Error {}

export type Release = () => void;

const MAX_HOLD_MS = 60_000;

export class VolumeLocks {
  private readonly readers = new Map<string, number>();
  private readonly writers = new Set<string>();
  /** Prunes in flight: they may remove any volume. */
  private pruning = 0;

  /** A container create mounts `name`. Throws VolumeBusyError while it is being created or removed. */
  read(name: string): Release {
    if (this.writers.has(name) || this.pruning > 0)
      throw new VolumeBusyError(`volume ${name} is being created or removed by another request; try again`);
    this.readers.set(name, (this.readers.get(name) ?? 0) + 1);
    return once(() => {
      const n = (this.readers.get(name) ?? 1) - 1;
      if (n <= 0) this.readers.delete(name);
      else this.readers.set(name, n);
    });
  }

  /** Creating or removing `name`, or (null) pruning every unused volume. Throws VolumeBusyError. */
  write(name: string | null): Release {
    if (name === null) {
      if (this.readers.size > 0)
        throw new VolumeBusyError('a container that mounts a volume is being created; try the prune again');
      this.pruning++;
      return once(() => this.pruning--);
    }
    if (this.readers.has(name) || this.writers.has(name))
      throw new VolumeBusyError(`volume ${name} is in use by a request in flight; try again`);
    this.writers.add(name);
    return once(() => this.writers.delete(name));
  }
}

/** A release that runs at most once: at the end of the exchange, or when the hold expires. */
function once(release: () => void): Release {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    release();
  };
  const timer = setTimeout(run, MAX_HOLD_MS);
  timer.unref();
  return run;
}
