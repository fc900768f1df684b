// The decision point: every request is described by a ProxyRequest and handed to one
// DecisionPoint before any byte of it is forwarded. The proxy never decides itself.
import type { Identity } from '../../tenancy/index.js';
import { parseApiPath, type ApiPath } from '../../docker/index.js';

export interface Decision {
  allow: boolean;
  /** HTTP status for a refusal (default 403). */
  status?: number;
  /** Text the client sees in Docker's error JSON. */
  message?: string;
  /** The decision could not be made (policy failure): a refusal logged as "error", not "deny". */
  error?: boolean;
  /**
   * Allowed with this body instead of the one received (the canonical bytes that were judged).
   * Only for requests whose body was collected (`bodyLimit`); forwarded with a Content-Length.
   */
  body?: Buffer;
  /**
   * Allowed with this request target (path and query) instead of the one received: the object
   * named by the full id that was judged. The rest of the head is forwarded as received.
   */
  target?: string;
  /**
   * Allowed, and answered by the proxy with this JSON instead of being forwarded (a list
   * assembled for the caller from the daemon's answer).
   */
  reply?: { status: number; body: Buffer };
  /** Called once when the exchange ends (answered, refused, or its connection gone): lets go of what the decision held. */
  release?: () => void;
}

export interface DecisionPoint {
  /**
   * How many body bytes this request's decision needs to see (0: decide on the head).
   * A body longer than this is refused with 413, never judged on a prefix.
   */
  bodyLimit?(req: ProxyRequest): number;
  /**
   * For bodies too large to hold but needed for the decision (build contexts): the body is
   * spooled to disk while `observer` reads it, then the decision is made, then the spooled
   * bytes are forwarded. Undefined: no spooling for this request.
   */
  spoolBody?(req: ProxyRequest): { observer: BodyObserver; limit: number } | undefined;
  decide(req: ProxyRequest): Decision | Promise<Decision>;
}

/** Reads a spooled request body as it arrives (de-chunked payload, copies it may keep). */
export interface BodyObserver {
  write(piece: Buffer): void;
  end(): void;
  /** The body will not be complete (client gone, limit reached): release what is held. */
  abort(): void;
}

/** One request as the decision point sees it. Derived fields are computed on first use. */
export class ProxyRequest {
  /** The body, de-chunked, when `bodyLimit` asked for it (read-only by contract). */
  body: Buffer | undefined = undefined;
  private parsed: ApiPath | undefined;
  private headerMap: Record<string, string> | undefined;
  private headerList: readonly string[] | (() => readonly string[]);

  constructor(
    readonly method: string,
    /** Request target exactly as sent: path and query. */
    readonly rawPath: string,
    /**
     * Flat name/value list, names as sent; or a function that makes it, called at most once
     * and only if something reads the headers (a remembered decision does not).
     */
    rawHeaders: readonly string[] | (() => readonly string[]),
    readonly identity: Identity,
    /** Whether the request has a body (Content-Length > 0 or chunked). */
    readonly hasBody: boolean,
    /** The head exactly as sent (request line and headers), when the proxy read it. */
    readonly headText?: string,
  ) {
    this.headerList = rawHeaders;
  }

  /** Flat name/value list, names as sent. */
  get rawHeaders(): readonly string[] {
    if (typeof this.headerList === 'function') this.headerList = this.headerList();
    return this.headerList;
  }

  /**
   * The target as dockerd routes it (src/docker/api-path). A target dockerd would refuse or
   * redirect reads as its raw path with no version or query; decision points refuse those.
   */
  private get target(): ApiPath {
    if (!this.parsed) {
      try {
        this.parsed = parseApiPath(this.rawPath);
      } catch {
        this.parsed = { version: '', path: this.rawPath.split('?', 1)[0]!, query: {}, queryAll: {} };
      }
    }
    return this.parsed;
  }
  /** API version from the /vX.Y prefix, '' when absent. */
  get version(): string {
    return this.target.version;
  }
  /** Decoded path without the version prefix and query. */
  get path(): string {
    return this.target.path;
  }
  /** Decoded query: every value of each key. */
  get query(): Record<string, string[]> {
    return this.target.queryAll;
  }
  /** Header names lower-cased → first value. */
  get headers(): Record<string, string> {
    if (!this.headerMap) {
      const map: Record<string, string> = Object.create(null);
      const list = this.rawHeaders;
      for (let i = 0; i < list.length; i += 2) {
        const k = list[i]!.toLowerCase();
        if (!(k in map)) map[k] = list[i + 1]!;
      }
      this.headerMap = map;
    }
    return this.headerMap;
  }
}

const ALLOW: Decision = Object.freeze({ allow: true });

/** Allows every request: the decision point of a proxy run without a policy (transport tests). */
export const allowAll: DecisionPoint = { decide: () => ALLOW };
