// The one error for "answer this request with this status and message instead of forwarding
// it": bad framing, an unreadable path or body, a body the policy cannot judge. Whoever
// catches it answers in Docker's error shape ({"message": ...}) with `status`.
import { familiarName, hasTag } from './image-name.js';

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
  constructor(
    kind: 'container' | 'exec' | 'volume' | 'network' | 'image',
    ref: string,
    status = 404,
    message?: string,
  ) {
    super(status, message ?? NOT_FOUND[kind](ref));
    this.name = 'NotFound';
  }
}

/** dockerd 20.10's messages for a missing object, by kind. */
const NOT_FOUND = {
  container: (ref: string) => `No such container: ${ref}`,
  exec: (ref: string) => `No such exec instance: ${ref}`,
  volume: (ref: string) => `get ${ref}: no such volume`,
  network: (ref: string) => `network ${ref} not found`,
  image: (ref: string) => `No such image: ${familiarTagged(ref)}`,
};

/**
 * A missing image as dockerd 20.10 words it on each route: image inspect says it twice, save
 * names an untagged reference as sent and words a tagged one on its own, the others name it in
 * its short form with its tag.
 */
export function imageNotFound(ref: string, route: 'inspect' | 'save' | 'other'): NotFound {
  const message =
    route === 'save'
      ? hasTag(ref)
        ? 'reference does not exist'
        : `No such image: ${ref}`
      : route === 'inspect'
        ? `no such image: ${ref}: ${NOT_FOUND.image(ref)}`
        : undefined;
  return new NotFound('image', ref, 404, message);
}

/**
 * A missing container named by a list's since/before filter: dockerd 20.10 answers it with a
 * 500 in words of its own.
 */
export function filterContainerNotFound(ref: string): NotFound {
  return new NotFound('container', ref, 500, `no such container ${ref}`);
}

/** An image reference as Docker shows it: without Docker Hub's default prefixes, with a tag. */
function familiarTagged(ref: string): string {
  const short = familiarName(ref);
  return hasTag(short) ? short : `${short}:latest`;
}
