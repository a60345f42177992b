/**
 * Maintenance: status, alarms, defragment, hashes, snapshot, leader transfer
 * (etcd's `etcdserverpb.Maintenance`).
 *
 * Most of these are about one member, so they take the endpoint to ask (one of the
 * client's endpoints, as given or as `host:port`); without one they go to the pinned
 * endpoint. A call aimed at an endpoint is never failed over to another.
 */
import { etcdserverpb as pb } from "@etcd-ts/api";
import type { CallOptions, Transport } from "./internal/Transport.js";
import { ClientClosedError } from "./errors.js";
import { errorFromStatus } from "@etcd-ts/api";
import type * as grpc from "@grpc/grpc-js";

/** AlarmType names an alarm: `NOSPACE` or `CORRUPT` (etcdserverpb.AlarmType). */
export type AlarmType = "NOSPACE" | "CORRUPT";

/** EndpointOptions aim a maintenance call at one endpoint. */
export interface EndpointOptions extends CallOptions {
  /** endpoint is one of the client's endpoints; the pinned one when absent. */
  readonly endpoint?: string | undefined;
}

const { MaintenanceService } = pb;

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
   * concatenation is the snapshot file (etcd's bbolt db plus a trailing SHA-256).
   */
  async *snapshot(options?: EndpointOptions): AsyncGenerator<Uint8Array, void, undefined> {
    const endpoint = options?.endpoint === undefined ? this.transport.endpoints.pick(Date.now()) : this.transport.endpointFor(options.endpoint);
    const metadata = await this.transport.metadata();
    const deadline = options?.timeout === undefined ? undefined : Date.now() + options.timeout;
    const method = MaintenanceService.snapshot;
    const call: grpc.ClientReadableStream<pb.SnapshotResponse> = this.transport
      .channel(endpoint)
      .makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, {}, metadata, deadline === undefined ? {} : { deadline });
    const removeClose = this.transport.onClose(() => call.cancel());
    const onAbort = (): void => call.cancel();
    options?.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const chunk of call as AsyncIterable<pb.SnapshotResponse>) yield chunk.blob;
    } catch (err) {
      if (this.transport.closed) throw new ClientClosedError({ cause: err });
      if (options?.signal?.aborted) throw options.signal.reason;
      throw errorFromStatus(err as grpc.ServiceError);
    } finally {
      removeClose();
      options?.signal?.removeEventListener("abort", onAbort);
      call.cancel();
    }
  }
}
