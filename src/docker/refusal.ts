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
