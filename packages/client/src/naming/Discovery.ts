/**
 * Discovery: the live set of a service's endpoints, kept in a local cache by a read followed
 * by a watch from the read's revision. The watch resumes across reconnects (the cache keeps
 * serving meanwhile); if the history it needs was compacted, the set is read again and the
 * difference is reported as changes.
 */
import type { Client } from "../Client.js";
import { WatchCompactedError } from "../errors.js";
import { EndpointManager, type Endpoint, type EndpointUpdate } from "./EndpointManager.js";

/** Discovery follows one service's endpoint set. Create it with {@link Discovery.start}. */
export class Discovery {
  private readonly cache = new Map<string, Endpoint>();
  private readonly listeners = new Set<(updates: EndpointUpdate[], endpoints: ReadonlyMap<string, Endpoint>) => void>();
  private readonly controller = new AbortController();
  private running: Promise<void> = Promise.resolve();

  private constructor(private readonly manager: EndpointManager) {}

  /** start reads the current set of `service` and follows its changes. */
  static async start(client: Client, service: string): Promise<Discovery> {
    const discovery = new Discovery(new EndpointManager(client, service));
    const revision = await discovery.resync();
    discovery.running = discovery.follow(revision);
    return discovery;
  }

  /** endpoints is the current set, by endpoint key. */
  get endpoints(): ReadonlyMap<string, Endpoint> {
    return this.cache;
  }

  /** addresses lists the current endpoints' addresses. */
  addresses(): string[] {
    return [...this.cache.values()].map((e) => e.addr);
  }

  /** onChange calls `listener` after every change of the set; returns its remover. */
  onChange(listener: (updates: EndpointUpdate[], endpoints: ReadonlyMap<string, Endpoint>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** close stops following (the cache keeps its last state). */
  async close(): Promise<void> {
    this.controller.abort();
    await this.running.catch(() => {});
  }

  private emit(updates: EndpointUpdate[]): void {
    if (updates.length === 0) return;
    for (const listener of this.listeners) listener(updates, this.cache);
  }

  /** resync reads the whole set, reports the difference with the cache, returns the revision. */
  private async resync(): Promise<number> {
    const { endpoints, revision } = await this.manager.list();
    const updates: EndpointUpdate[] = [];
    for (const key of this.cache.keys()) if (!endpoints.has(key)) updates.push({ op: "delete", key });
    for (const [key, endpoint] of endpoints) {
      const old = this.cache.get(key);
      if (old === undefined || JSON.stringify(old) !== JSON.stringify(endpoint)) updates.push({ op: "add", key, endpoint });
    }
    this.apply(updates);
    return revision;
  }

  private apply(updates: EndpointUpdate[]): void {
    for (const u of updates) {
      if (u.op === "add") this.cache.set(u.key, u.endpoint);
      else this.cache.delete(u.key);
    }
    this.emit(updates);
  }

  private async follow(revision: number): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      try {
        for await (const updates of this.manager.watch(revision, { signal })) this.apply(updates);
        return;
      } catch (err) {
        if (signal.aborted) return;
        if (!(err instanceof WatchCompactedError)) throw err;
        revision = await this.resync();
      }
    }
  }
}
