/**
 * Maintenance: status, alarms, defragment, hashes, snapshot, leader transfer
 * (etcd's `etcdserverpb.Maintenance`).
 *
 * Most of these are about one member, so they take the endpoint to ask (one of the
 * client's endpoints, as given or as `host:port`); without one they go to the pinned
 * endpoint. A call aimed at an endpoint is never failed over to another.
 */
import { errorFromStatus, etcdserverpb as pb } from "@etcd-ts/api";
import type { CallOptions, Transport } from "./internal/Transport.js";
import { AsyncQueue } from "./internal/AsyncQueue.js";
import type { Call } from "./internal/StreamCall.js";
import { ClientClosedError } from "./errors.js";

/** AlarmType names an alarm: `NOSPACE` or `CORRUPT` (etcdserverpb.AlarmType). */
export type AlarmType = "NOSPACE" | "CORRUPT";

/** EndpointOptions aim a maintenance call at one endpoint. */
export interface EndpointOptions extends CallOptions {
  /** endpoint is one of the client's endpoints; the pinned one when absent. */
  readonly endpoint?: string | undefined;
}

const { MaintenanceService } = pb;

/** How many snapshot chunks may wait for the consumer before reading pauses. */
const SNAPSHOT_BUFFERED_CHUNKS = 16;

/** Maintenance is the maintenance API. */
export class Maintenance {
  /** @internal Created by the client. */
  constructor(private readonly transport: Transport) {}

  /** status reports a member's version, db size, leader, raft index and term, errors. */
  status(options?: EndpointOptions): Promise<pb.StatusResponse> {
    return this.transport.unary(MaintenanceService.status, {}, { idempotent: true, endpoint: options?.endpoint }, options);
  }

  /** alarms lists the cluster's active alarms. */
  alarms(options?: CallOptions): Promise<pb.AlarmResponse> {
    return this.transport.unary(MaintenanceService.alarm, { action: pb.AlarmRequest_AlarmAction.GET }, { idempotent: true }, options);
  }

  /** activateAlarm raises an alarm for a member (what a member does when out of space). */
  activateAlarm(memberId: bigint, alarm: AlarmType, options?: CallOptions): Promise<pb.AlarmResponse> {
    return this.transport.unary(
      MaintenanceService.alarm,
      { action: pb.AlarmRequest_AlarmAction.ACTIVATE, memberID: memberId, alarm: pb.AlarmType[alarm] },
      { idempotent: false },
      options,
    );
  }

  /** deactivateAlarm clears an alarm of a member (after fixing its cause). */
  deactivateAlarm(memberId: bigint, alarm: AlarmType, options?: CallOptions): Promise<pb.AlarmResponse> {
    return this.transport.unary(
      MaintenanceService.alarm,
      { action: pb.AlarmRequest_AlarmAction.DEACTIVATE, memberID: memberId, alarm: pb.AlarmType[alarm] },
      { idempotent: false },
      options,
    );
  }

  /** defragment compacts a member's backend file, releasing free space. */
  defragment(options?: EndpointOptions): Promise<pb.DefragmentResponse> {
    return this.transport.unary(MaintenanceService.defragment, {}, { idempotent: true, endpoint: options?.endpoint }, options);
  }

  /** hash hashes a member's whole backend (for corruption checks). */
  hash(options?: EndpointOptions): Promise<pb.HashResponse> {
    return this.transport.unary(MaintenanceService.hash, {}, { idempotent: true, endpoint: options?.endpoint }, options);
  }

  /** hashKV hashes a member's keyspace up to `revision` (0: latest). */
  hashKV(revision = 0, options?: EndpointOptions): Promise<pb.HashKVResponse> {
    return this.transport.unary(MaintenanceService.hashKV, { revision }, { idempotent: true, endpoint: options?.endpoint }, options);
  }

  /** moveLeader hands leadership to another member (ask the current leader). */
  moveLeader(targetId: bigint, options?: EndpointOptions): Promise<pb.MoveLeaderResponse> {
    return this.transport.unary(MaintenanceService.moveLeader, { targetID: targetId }, { idempotent: false, endpoint: options?.endpoint }, options);
  }

  /**
   * snapshot streams a member's backend as it is now: an async iterable of chunks whose
   * concatenation is the snapshot file (etcd's bbolt db plus a trailing SHA-256). The
   * transfer waits while the consumer is behind (HTTP/2 flow control holds the server).
   */
  async *snapshot(options?: EndpointOptions): AsyncGenerator<Uint8Array, void, undefined> {
    const signal = options?.signal;
    const deadline = options?.timeout === undefined ? undefined : Date.now() + options.timeout;
    const chunks = new AsyncQueue<Uint8Array>();
    const opened: { call?: Call<pb.SnapshotRequest> } = {};
    let paused = false;
    const { call } = await this.transport.openStream(
      MaintenanceService.snapshot,
      {
        onMessage: (res) => {
          chunks.push(res.blob);
          if (!paused && chunks.buffered >= SNAPSHOT_BUFFERED_CHUNKS) {
            paused = true;
            opened.call?.pause();
          }
        },
        onEnd: (err) => {
          if (err === undefined) chunks.end();
          else if (this.transport.closed) chunks.fail(new ClientClosedError({ cause: err }));
          else if (signal?.aborted) chunks.fail(signal.reason);
          else chunks.fail(errorFromStatus(err));
        },
      },
      { endpoint: options?.endpoint, deadline, signal },
    );
    opened.call = call;
    const removeClose = this.transport.onClose(() => {
      call.cancel();
      chunks.fail(new ClientClosedError());
    });
    try {
      call.write({});
      call.end();
      for (;;) {
        const next = await chunks.next();
        if (next.done === true) return;
        if (paused && chunks.buffered < SNAPSHOT_BUFFERED_CHUNKS / 2) {
          paused = false;
          call.resume();
        }
        yield next.value;
      }
    } finally {
      removeClose();
      call.cancel();
    }
  }
}
