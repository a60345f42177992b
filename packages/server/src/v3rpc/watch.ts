/**
 * The Watch service: one bidi stream carries many watchers. Create and cancel requests are
 * answered in order; events flow from the watchable store as they are applied; a watcher
 * whose start revision was compacted is cancelled with the compact revision, as etcd does.
 * Progress notifications (requested, or periodic for progress_notify watchers) come from the
 * watchable store through the same path as events, so none runs ahead of an event at or
 * below its revision.
 *
 * A client that stops reading holds nothing unbounded here: events wait in the watchable
 * store's bounded buffer (its watchers become victims, retried later, as in etcd) while the
 * pump waits for the transport to drain, and the request loop waits too before it takes the
 * next request, so the transport pauses the client's sending (etcd's recvLoop blocks on its
 * full control channel the same way).
 */
import { etcdserverpb as pb, GrpcStatus, mvccpb, ProtoWriter, type PartialMessage } from "@etcd-ts/api";
import type { Cluster } from "../etcdserver/Cluster.js";
import type { Watchable } from "../etcdserver/Watchable.js";
import type { GrpcServer } from "../grpc/GrpcServer.js";
import { EncodedResponse, withEncodedResponses } from "./internal/EncodedResponse.js";
import { toGrpcStatus } from "../grpc/StatusError.js";

/** registerWatch adds the Watch service of `server` to a gRPC server. */
export function registerWatch(grpc: GrpcServer, server: Watchable & Pick<Cluster, "header">): void {
  // Event responses go out pre-encoded (see encodeEvents); control responses as objects.
  grpc.addStream(withEncodedResponses(pb.WatchService.watch), async (call) => {
    const stream = server.newWatchStream();
    const header = (): pb.ResponseHeader => server.header(server.currentRevision);
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
        if (fragmenting.has(response.watchId)) for (const part of fragments(whole, server.maxRequestBytes)) ok = call.send(part);
        else ok = call.send(encodeEvents(whole));
        if (compacted) stream.cancel(response.watchId);
        if (!ok) await call.drained();
      }
    })();
    // A control response the transport could not take: read no more requests until it drains.
    const reply = async (response: PartialMessage<pb.WatchResponse>): Promise<void> => {
      if (!call.send(response)) await call.drained();
    };
    try {
      for await (const request of call) {
        const union = request.requestUnion;
        if (union?.$case === "createRequest") {
          const create = union.createRequest;
          try {
            await server.checkWatch(call.metadata, create.key, create.rangeEnd);
          } catch (error) {
            // etcd refuses the watcher on the stream, not the stream itself.
            await reply({ header: header(), watchId: -1, created: true, canceled: true, cancelReason: permissionCancelReason(error) });
            continue;
          }
          const rangeEnd = create.rangeEnd.length > 0 ? create.rangeEnd : undefined;
          let watchId: number;
          try {
            watchId = stream.watch(
              Uint8Array.from(create.key),
              rangeEnd && Uint8Array.from(rangeEnd),
              { startRevision: create.startRevision, prevKv: create.prevKv, filters: create.filters },
              create.watchId,
            );
          } catch (error) {
            // etcd 3.4: a client-chosen watch ID already in use cancels that create only.
            await reply({ header: header(), watchId: create.watchId, created: true, canceled: true, cancelReason: (error as Error).message });
            continue;
          }
          if (create.progressNotify) progressWatchers.add(watchId);
          if (create.fragment) fragmenting.add(watchId);
          await reply({ header: header(), watchId, created: true });
        } else if (union?.$case === "cancelRequest") {
          const watchId = union.cancelRequest.watchId;
          progressWatchers.delete(watchId);
          fragmenting.delete(watchId);
          if (stream.cancel(watchId)) await reply({ header: header(), watchId, canceled: true });
        } else if (union?.$case === "progressRequest") {
          // The answer (watch ID -1, the store's revision) goes through the stream with the
          // events, once every watcher on the stream is synced: a client that hears revision R
          // has had every event at or below R (etcd 3.5.8+). etcd 3.4.23 answers at once, on
          // its control channel, ahead of the events still queued or being caught up.
          stream.requestProgressAll();
          // Requests that add nothing to send (repeats merge into one pending answer) must
          // still not be read faster than the answers leave: wait while the transport is full.
          await call.drained();
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

/** Go's names of the gRPC codes (codes.Code.String()), as a Go status error prints them. */
const GO_CODE_NAMES = [
  "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
  "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated",
];

/**
 * permissionCancelReason is etcd 3.4's cancel reason of a watcher refused by auth: the gRPC
 * error as Go prints it ("rpc error: code = PermissionDenied desc = etcdserver: permission
 * denied"); an invalid token, an old auth revision and a missing user keep their own error,
 * anything else is a permission denial.
 */
export function permissionCancelReason(error: unknown): string {
  let { code, message } = toGrpcStatus(error);
  if (code !== GrpcStatus.UNAUTHENTICATED && code !== GrpcStatus.INVALID_ARGUMENT) {
    code = GrpcStatus.PERMISSION_DENIED;
    message = "etcdserver: permission denied";
  }
  return `rpc error: code = ${GO_CODE_NAMES[code] ?? "Unknown"} desc = ${message}`;
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

/** Each event's encoding, shared by every watcher that gets the same event object. */
const encodedEvents = new WeakMap<mvccpb.Event, Uint8Array>();
const bodyWriter = new ProtoWriter();
/** WatchResponse.events is field 11, length-delimited. */
const EVENTS_TAG = (11 << 3) | 2;

/**
 * encodeEvents encodes an event response once its events are encoded: a put watched by a
 * thousand watchers is encoded once, not a thousand times (the watchable store hands them
 * all the same event objects).
 */
function encodeEvents(response: PartialMessage<pb.WatchResponse> & { header: pb.ResponseHeader; events: mvccpb.Event[] }): EncodedResponse {
  bodyWriter.pos = 0;
  pb.WatchResponse.encodeTo({ watchId: response.watchId, compactRevision: response.compactRevision, canceled: response.canceled }, bodyWriter);
  for (const event of response.events) {
    let bytes = encodedEvents.get(event);
    if (bytes === undefined) encodedEvents.set(event, (bytes = mvccpb.Event.encode(event)));
    bodyWriter.uint32(EVENTS_TAG);
    bodyWriter.bytes(bytes);
  }
  return new EncodedResponse(response.header, bodyWriter.finishCopy());
}
