/**
 * The endpoint list of a client and what it knows about each endpoint's health.
 *
 * One endpoint is pinned and takes every call (so a client's reads and writes see one
 * member's order, as etcd 3.4's pinned balancer did). An endpoint that fails at the
 * transport level is marked dead for a backoff that doubles with each consecutive failure
 * (capped), and the next live endpoint in list order is pinned. When every endpoint is dead,
 * the one whose backoff ends first is tried anyway: a dead endpoint is avoided, never
 * abandoned. A success clears an endpoint's failures.
 *
 * No I/O and no timers here: time comes in as an argument, so this is plain bookkeeping.
 */

/** An endpoint as parsed from the user's list. */
export interface EndpointAddress {
  /** The text the user gave, e.g. `http://127.0.0.1:2379`. */
  readonly raw: string;
  /** `host:port`, what the connection dials. */
  readonly address: string;
  /** Whether the endpoint asked for TLS (`https://` or `unixs://`). */
  readonly secure: boolean;
}

/** parseEndpoint accepts `http://host:port`, `https://host:port` or `host:port`. */
export function parseEndpoint(raw: string): EndpointAddress {
  const match = /^(https?):\/\/([^/]+)\/?$/.exec(raw);
  if (match !== null) return { raw, address: match[2]!, secure: match[1] === "https" };
  if (/^[^/]+:\d+$/.test(raw)) return { raw, address: raw, secure: false };
  throw new TypeError(`etcd client: cannot parse endpoint ${JSON.stringify(raw)} (want http://host:port, https://host:port or host:port)`);
}

interface Health {
  failures: number;
  deadUntil: number;
}

/** Backoff bounds for dead endpoints, in ms. */
export interface EndpointBackoff {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Endpoints tracks the endpoint list, the pinned endpoint and each endpoint's backoff. */
export class Endpoints {
  private list: EndpointAddress[];
  private health = new Map<string, Health>();
  private pinned = 0;

  constructor(
    endpoints: readonly string[],
    private readonly backoff: EndpointBackoff = { baseMs: 100, maxMs: 5000 },
  ) {
    if (endpoints.length === 0) throw new TypeError("etcd client: at least one endpoint is required");
    this.list = endpoints.map(parseEndpoint);
  }

  /** all returns the endpoints in list order. */
  all(): readonly EndpointAddress[] {
    return this.list;
  }

  /** set replaces the endpoint list (keeping the health of endpoints still in it). */
  set(endpoints: readonly string[]): void {
    if (endpoints.length === 0) throw new TypeError("etcd client: at least one endpoint is required");
    const current = this.list[this.pinned]?.address;
    this.list = endpoints.map(parseEndpoint);
    const keep = new Set(this.list.map((e) => e.address));
    for (const address of this.health.keys()) if (!keep.has(address)) this.health.delete(address);
    const index = this.list.findIndex((e) => e.address === current);
    this.pinned = index >= 0 ? index : 0;
  }

  /** isAlive reports whether an endpoint is outside its failure backoff at `now`. */
  isAlive(address: string, now: number): boolean {
    const h = this.health.get(address);
    return h === undefined || h.deadUntil <= now;
  }

  /**
   * pick returns the endpoint to use at `now`: the pinned one if alive, else the next alive
   * one in list order (which becomes pinned), else the one whose backoff ends first.
   */
  pick(now: number): EndpointAddress {
    const n = this.list.length;
    for (let i = 0; i < n; i++) {
      const index = (this.pinned + i) % n;
      const endpoint = this.list[index]!;
      if (this.isAlive(endpoint.address, now)) {
        this.pinned = index;
        return endpoint;
      }
    }
    let best = 0;
    let bestUntil = Infinity;
    for (let i = 0; i < n; i++) {
      const until = this.health.get(this.list[i]!.address)?.deadUntil ?? 0;
      if (until < bestUntil) {
        best = i;
        bestUntil = until;
      }
    }
    this.pinned = best;
    return this.list[best]!;
  }

  /** markFailed records a transport failure of an endpoint at `now` and moves the pin on. */
  markFailed(address: string, now: number): void {
    const h = this.health.get(address) ?? { failures: 0, deadUntil: 0 };
    h.failures++;
    const delay = Math.min(this.backoff.baseMs * 2 ** (h.failures - 1), this.backoff.maxMs);
    h.deadUntil = now + delay;
    this.health.set(address, h);
    if (this.list[this.pinned]?.address === address) this.pinned = (this.pinned + 1) % this.list.length;
  }

  /** markHealthy clears an endpoint's failures after a successful exchange. */
  markHealthy(address: string): void {
    if (this.health.size !== 0) this.health.delete(address);
  }

  /** anyAlive reports whether some endpoint is outside its backoff at `now`. */
  anyAlive(now: number): boolean {
    return this.list.some((e) => this.isAlive(e.address, now));
  }
}
