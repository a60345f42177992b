/**
 * Waiting on the keyspace: until a key is deleted, until every key of a prefix created
 * before a revision is gone (fair queueing by create revision), until given events happen.
 * Every wait is a watch, cancelled when the wait ends or the signal aborts.
 */
import type { Client, GetResponse, ResponseHeader, WatchEvent } from "@etcd-ts/client";

/** waitDelete waits until `key` is deleted, watching from `revision`. */
export async function waitDelete(client: Client, key: string, revision: number, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  const watcher = client.watch(key, { startRevision: revision, signal });
  for await (const res of watcher) {
    if (res.events.some((e) => e.type === "delete")) return;
  }
  signal?.throwIfAborted();
  throw new Error("concurrency: lost watcher waiting for delete");
}

/**
 * waitDeletes waits until every key under `prefix` with a create revision <= `maxCreateRevision`
 * is gone, newest first (each waiter waits only on its predecessor at any time).
 */
export async function waitDeletes(client: Client, prefix: string, maxCreateRevision: number, signal: AbortSignal | undefined): Promise<ResponseHeader> {
  for (;;) {
    const res: GetResponse = await client.get(prefix, {
      prefix: true,
      sort: { target: "createRevision", order: "descend" },
      limit: 1,
      maxCreateRevision,
      signal,
    });
    const last = res.kvs[0];
    if (last === undefined) return res.header;
    await waitDelete(client, new TextDecoder().decode(last.key), res.header.revision, signal);
  }
}

/**
 * waitEvents waits, from `revision`, for the given event types to happen in that order on
 * `key` (or under it, with `prefix`); returns the last matching event.
 */
export async function waitEvents(
  client: Client,
  key: string,
  revision: number,
  types: readonly ("put" | "delete")[],
  options?: { readonly prefix?: boolean; readonly signal?: AbortSignal | undefined },
): Promise<WatchEvent> {
  let matched = 0;
  const watcher = client.watch(key, { startRevision: revision, prefix: options?.prefix ?? false, signal: options?.signal });
  for await (const res of watcher) {
    for (const event of res.events) {
      if (event.type === types[matched]) {
        matched++;
        if (matched === types.length) {
          await watcher.cancel();
          return event;
        }
      }
    }
  }
  options?.signal?.throwIfAborted();
  throw new Error("concurrency: lost watcher waiting for events");
}

/**
 * linkSignals returns a signal that aborts when any of `signals` aborts or `done` settles
 * (with the given reason), and a disposer.
 */
export function sessionSignal(signal: AbortSignal | undefined, done: Promise<Error | undefined>, reason: () => Error): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let disposed = false;
  const onAbort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener("abort", onAbort, { once: true });
  void done.then((err) => {
    if (!disposed) controller.abort(reason());
    void err;
  });
  return {
    signal: controller.signal,
    dispose: () => {
      disposed = true;
      signal?.removeEventListener("abort", onAbort);
    },
  };
}
