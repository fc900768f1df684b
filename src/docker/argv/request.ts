// What a translated command sends, and the answer for what cannot be translated.

export interface DockerRequest {
  method: string;
  /** Path and query, without an API version prefix. */
  target: string;
  /** The JSON body (null: none). */
  body: unknown;
  /** The command this request comes from, for messages (e.g. `docker run`, or `service web`). */
  command: string;
  /** Body path → the argument words that set it. */
  origins: Record<string, string[]>;
  /** What the CLI does on its own that the user should know. */
  notes: string[];
  /** A build: the Dockerfile the CLI puts in the context. */
  dockerfile?: { path: string; text: string };
}

export class Undecidable extends Error {}
