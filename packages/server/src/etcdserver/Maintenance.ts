/**
 * Maintenance: what the Maintenance service sees of a member — status, alarms (through
 * raft), hashes, defragmentation, the backend snapshot and leader transfer, each timed in
 * the member's metrics. Who may call them is the member's to say (`checkAdmin`); how the
 * answers travel (snapshot chunks, etcd 3.4's raw auth errors) is the service's.
 */
import type { etcdserverpb as pb } from "@etcd-ts/api";
import type { AuthInfo } from "@etcd-ts/auth";

/** Maintenance serves the maintenance requests. */
export interface Maintenance {
  /** status reports the member: version, backend sizes, leader, raft indexes and term (no alarm texts). */
  status(): Promise<pb.StatusResponse>;
  /** alarmList lists the active alarms. */
  alarmList(): pb.AlarmMember[];
  /** alarm proposes an alarm get, activation or deactivation. */
  alarm(request: pb.AlarmRequest, authInfo: AuthInfo | undefined): Promise<pb.AlarmResponse>;
  /** checkAdmin refuses (throws the auth store's error) a caller other than root when auth is enabled. */
  checkAdmin(metadata: Readonly<Record<string, string>>): Promise<void>;
  /** hash is etcd's Hash of the backend. */
  hash(): Promise<pb.HashResponse>;
  /** hashKV is etcd's HashKV at a revision (0: current). */
  hashKV(request: pb.HashKVRequest): Promise<pb.HashKVResponse>;
  /** defragment rewrites the backend without free pages. */
  defragment(): Promise<pb.DefragmentResponse>;
  /** moveLeader hands leadership to another voting member. */
  moveLeader(request: pb.MoveLeaderRequest): pb.MoveLeaderResponse;
  /** snapshot writes a consistent copy of the backend to `toFile`. */
  snapshot(toFile: string): Promise<void>;
}
