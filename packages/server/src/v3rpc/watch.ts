/**
 * The Watch service: one bidi stream carries many watchers. Create and cancel requests are
 * answered in order; events flow from the watchable store as they are applied; a watcher
 * whose start revision was compacted is cancelled with the compact revision, as etcd does.
 */
import { etcdserverpb as pb, type mvccpb, type PartialMessage } from "@etcd-ts/api";
import type { WatchFilter } from "@etcd-ts/mvcc";
import type { EtcdServer } from "../etcdserver/EtcdServer.js";
import type { GrpcServer } from "../grpc/GrpcServer.js";

/** registerWatch adds the Watch service of `server` to a gRPC server. */
export function registerWatch(grpc: GrpcServer, server: EtcdServer): void {
  grpc.addStream(pb.WatchService.watch, async (call) => {
    const stream = server.watchable.newStream();
    const header = (): pb.ResponseHeader => server.header(server.watchable.revision);
    const progressWatchers = new Set<number>();
    const fragmenting = new Set<number>();
    const quiet = new Set<number>(); // progress watchers that got nothing since the last tick
    // progress_notify: a watcher that asked for it hears the current revision when it had no
    // events for an interval (etcd's default 10 minutes).
    const progressTimer = setInterval(() => {
      for (const id of progressWatchers) {
        if (quiet.has(id)) stream.requestProgress(id);
        quiet.add(id);
      }
    }, server.watchProgressNotifyIntervalMs);
    progressTimer.unref();
    const pump = (async () => {
      for await (const response of stream) {
        quiet.delete(response.watchId);
        const compacted = response.compactRevision > 0;
        const whole = {
          header: server.header(response.revision),
          watchId: response.watchId,
          events: response.events,
          compactRevision: response.compactRevision,
          canceled: compacted,
        };
        let ok = true;
        for (const part of fragmenting.has(response.watchId) ? fragments(whole, server.config.maxRequestBytes) : [whole]) ok = call.send(part);
        if (compacted) stream.cancel(response.watchId);
        if (!ok) await call.drained();
      }
    })();
    try {
      for await (const request of call) {
        const union = request.requestUnion;
        if (union?.$case === "createRequest") {
          const create = union.createRequest;
          if (server.auth.isAuthEnabled()) {
            try {
              server.auth.isRangePermitted(await server.authInfo(call.metadata), create.key, create.rangeEnd);
            } catch (error) {
              // etcd refuses the watcher on the stream, not the stream itself.
              call.send({ header: header(), watchId: -1, created: true, canceled: true, cancelReason: (error as Error).message });
              continue;
            }
          }
          const rangeEnd = create.rangeEnd.length > 0 ? create.rangeEnd : undefined;
          let watchId: number;
          try {
            watchId = stream.watch(
              Uint8Array.from(create.key),
              rangeEnd && Uint8Array.from(rangeEnd),
              { startRevision: create.startRevision, prevKv: create.prevKv, filters: create.filters as WatchFilter[] },
              create.watchId,
            );
          } catch (error) {
            // etcd 3.4: a client-chosen watch ID already in use cancels that create only.
            call.send({ header: header(), watchId: create.watchId, created: true, canceled: true, cancelReason: (error as Error).message });
            continue;
          }
          if (create.progressNotify) progressWatchers.add(watchId);
          if (create.fragment) fragmenting.add(watchId);
          call.send({ header: header(), watchId, created: true });
        } else if (union?.$case === "cancelRequest") {
          const watchId = union.cancelRequest.watchId;
          progressWatchers.delete(watchId);
          fragmenting.delete(watchId);
          if (stream.cancel(watchId)) call.send({ header: header(), watchId, canceled: true });
        } else if (union?.$case === "progressRequest") {
          // etcd 3.4 answers a progress request with the current revision on watch ID -1.
          call.send({ header: header(), watchId: -1 });
        }
      }
      // The client closed its sending side: etcd keeps the watchers until the stream goes away.
      if (!call.signal.aborted) await new Promise((resolve) => call.signal.addEventListener("abort", resolve, { once: true }));
    } finally {
      clearInterval(progressTimer);
      stream.close();
      await pump.catch(() => undefined);
    }
  });
}

/**
 * fragments splits a response whose events exceed `limit` bytes into several, each flagged
 * `fragment` but the last, as etcd does for watchers created with `fragment: true`.
 */
export function fragments(response: PartialMessage<pb.WatchResponse> & { events: mvccpb.Event[] }, limit: number): PartialMessage<pb.WatchResponse>[] {
  if (response.events.length <= 1 || pb.WatchResponse.encode(response).length <= limit) return [response];
  const parts: PartialMessage<pb.WatchResponse>[] = [];
  let current: mvccpb.Event[] = [];
  let size = 0;
  for (const event of response.events) {
    const eventSize = mvccpbEventSize(event);
    if (current.length > 0 && size + eventSize > limit) {
      parts.push({ ...response, events: current, fragment: true });
      current = [];
      size = 0;
    }
    current.push(event);
    size += eventSize;
  }
  parts.push({ ...response, events: current, fragment: false });
  return parts;
}

function mvccpbEventSize(event: mvccpb.Event): number {
  return (event.kv?.key.length ?? 0) + (event.kv?.value.length ?? 0) + (event.prevKv?.key.length ?? 0) + (event.prevKv?.value.length ?? 0) + 64;
}
