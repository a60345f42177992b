/**
 * The Watch service: one bidi stream carries many watchers. Create and cancel requests are
 * answered in order; events flow from the watchable store as they are applied; a watcher
 * whose start revision was compacted is cancelled with the compact revision, as etcd does.
 */
import { etcdserverpb as pb } from "@etcd-ts/api";
import type { WatchFilter } from "@etcd-ts/mvcc";
import type { EtcdServer } from "../etcdserver/EtcdServer.js";
import type { GrpcServer } from "../grpc/GrpcServer.js";

/** registerWatch adds the Watch service of `server` to a gRPC server. */
export function registerWatch(grpc: GrpcServer, server: EtcdServer): void {
  grpc.addStream(pb.WatchService.watch, async (call) => {
    const stream = server.watchable.newStream();
    const header = (): pb.ResponseHeader => server.header(server.watchable.revision);
    const pump = (async () => {
      for await (const response of stream) {
        const compacted = response.compactRevision > 0;
        const ok = call.send({
          header: server.header(response.revision),
          watchId: response.watchId,
          events: response.events,
          compactRevision: response.compactRevision,
          canceled: compacted,
        });
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
          const watchId = stream.watch(Uint8Array.from(create.key), rangeEnd && Uint8Array.from(rangeEnd), {
            startRevision: create.startRevision,
            prevKv: create.prevKv,
            filters: create.filters as WatchFilter[],
          });
          call.send({ header: header(), watchId, created: true });
        } else if (union?.$case === "cancelRequest") {
          const watchId = union.cancelRequest.watchId;
          if (stream.cancel(watchId)) call.send({ header: header(), watchId, canceled: true });
        } else if (union?.$case === "progressRequest") {
          // etcd 3.4 answers a progress request with the current revision on watch ID -1.
          call.send({ header: header(), watchId: -1 });
        }
      }
    } finally {
      stream.close();
      await pump.catch(() => undefined);
    }
  });
}
