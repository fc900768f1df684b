// The one error for "answer this request with this status and message instead of forwarding
// it": bad framing, an unreadable path or body, a body the policy cannot judge. Whoever
// catches it answers in Docker's error shape ({"message": ...}) with `status`.
export class Refusal extends Error {
  constructor(
    /** The HTTP status the client gets. */
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

/**
 * A refusal worded exactly as dockerd words an object that does not exist: for objects a caller
 * may not know about, so that what they get cannot tell "not yours" from "not there".
 */
export class NotFound extends Refusal {
  constructor(kind: 'container' | 'exec' | 'volume' | 'network' | 'image', ref: string) {
    super(404, NOT_FOUND[kind](ref));
    this.name = 'NotFound';
  }
}

/** dockerd 20.10's messages for a missing object, by kind. */
const NOT_FOUND = {
  container: (ref: string) => `No such container: ${ref}`,
  exec: (ref: string) => `No such exec instance: ${ref}`,
  volume: (ref: string) => `get ${ref}: no such volume`,
  network: (ref: string) => `network ${ref} not found`,
  image: (ref: string) => `No such image: ${ref}`,
};
