/**
 * The Maintenance service: Status, Alarm (through raft), Hash, HashKV, Defragment, Snapshot
 * (the backend copy streamed in 32 KiB chunks, then its SHA-256 as etcd's clients expect).
 */
import { createHash } from "node:crypto";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GrpcStatus, etcdserverpb as pb, isEtcdError } from "@etcd-ts/api";
import type { Authenticator } from "../etcdserver/Authenticator.js";
import type { Maintenance } from "../etcdserver/Maintenance.js";
import type { GrpcServer } from "../grpc/GrpcServer.js";
import { StatusError } from "../grpc/StatusError.js";

const SNAPSHOT_CHUNK = 32 * 1024;

/** alarmText is how etcd names an alarm in Status.errors ("memberID:... alarm:NOSPACE"). */
function alarmText(alarm: pb.AlarmMember): string {
  const name = Object.entries(pb.AlarmType).find(([, v]) => v === alarm.alarm)?.[0] ?? String(alarm.alarm);
  return `memberID:${alarm.memberID} alarm:${name} `;
}

/** registerMaintenance adds the Maintenance service of `server` to a gRPC server. */
export function registerMaintenance(grpc: GrpcServer, server: Maintenance & Pick<Authenticator, "authInfo">): void {
  const S = pb.MaintenanceService;

  grpc.addUnary(S.status, async () => {
    const status = await server.status();
    return { ...status, errors: server.alarmList().map(alarmText) };
  });

  grpc.addUnary(S.alarm, async (request, call) => {
    // etcd 3.4's Alarm hands the token check's error back unconverted, like `admin` below.
    let authInfo;
    try {
      authInfo = await server.authInfo(call.metadata);
    } catch (error) {
      throw rawAuthError(error);
    }
    const response = await server.alarm(request, authInfo);
    // etcd 3.4's Alarm response carries no header.
    return { ...response, header: undefined };
  });

  /**
   * etcd lets only root defragment, snapshot and hash when auth is enabled — and etcd 3.4
   * returns the auth store's own error there, unconverted: code Unknown, "auth: ..." text.
   */
  const admin = async (metadata: Readonly<Record<string, string>>): Promise<void> => {
    try {
      await server.checkAdmin(metadata);
    } catch (error) {
      throw rawAuthError(error);
    }
  };

  grpc.addUnary(S.hash, async (_request, call) => {
    await admin(call.metadata);
    return server.hash();
  });

  grpc.addUnary(S.hashKV, async (request, call) => {
    await admin(call.metadata);
    return server.hashKV(request);
  });

  grpc.addUnary(S.defragment, async (_request, call) => {
    await admin(call.metadata);
    return server.defragment();
  });

  grpc.addUnary(S.moveLeader, async (request, call) => {
    await admin(call.metadata);
    return server.moveLeader(request);
  });

  grpc.addStream(S.snapshot, async (call) => {
    await admin(call.metadata);
    const dir = await mkdtemp(join(tmpdir(), "etcd-ts-snapshot-"));
    try {
      const file = join(dir, "snapshot.db");
      await server.snapshot(file);
      const handle = await open(file, "r");
      try {
        const size = (await handle.stat()).size;
        const digest = createHash("sha256");
        let sent = 0;
        const buffer = Buffer.alloc(SNAPSHOT_CHUNK);
        while (sent < size) {
          if (call.signal.aborted) return;
          const { bytesRead } = await handle.read(buffer, 0, SNAPSHOT_CHUNK, sent);
          if (bytesRead === 0) break;
          const blob = Buffer.from(buffer.subarray(0, bytesRead));
          digest.update(blob);
          sent += bytesRead;
          // etcd's snapshot chunks carry no header.
          if (!call.send({ remainingBytes: size - sent + 32, blob })) await call.drained();
        }
        call.send({ remainingBytes: 0, blob: digest.digest() });
      } finally {
        await handle.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

/** rawAuthError is an auth failure as etcd 3.4 returns it unconverted: code Unknown, the auth package's "auth: ..." text. */
function rawAuthError(error: unknown): unknown {
  return isEtcdError(error) ? new StatusError(GrpcStatus.UNKNOWN, error.message.replace(/^etcdserver: /, "auth: ")) : error;
}
