/**
 * AlarmStore: the member's alarms (etcd's `v3alarm.AlarmStore`), kept in the backend's
 * `alarm` bucket so that they survive a restart.
 *
 * Alarms change only by applying raft entries (Alarm ACTIVATE / DEACTIVATE): each change
 * returns the bucket write to commit in the same LMDB transaction as the entry's consistent
 * index, so the stored alarms and the applied index never disagree. The bucket layout is
 * etcd's: the key is the marshalled `AlarmMember`, the value empty.
 *
 * Not here: what an alarm blocks (the applier's capped / corrupt checks) or when NOSPACE
 * is raised (the quota check before proposing).
 */
import { etcdserverpb as pb } from "@etcd-ts/api";
import type { BucketEntry, BucketWrite } from "@etcd-ts/mvcc";

/** ALARM_BUCKET is the backend bucket holding the alarms. */
export const ALARM_BUCKET = "alarm";

/** The key wave 1's engine stored its own NOSPACE flag under, read as this member's NOSPACE. */
const LEGACY_NOSPACE_KEY = "NOSPACE";

/** AlarmChange is an applied change: the alarm it concerns and the writes that persist it. */
export interface AlarmChange {
  readonly alarm: pb.AlarmMember;
  readonly writes: readonly BucketWrite[];
}

/** AlarmStore holds the active alarms; see the module comment. */
export class AlarmStore {
  /** By alarm type, then member ID. */
  private readonly byType = new Map<pb.AlarmType, Map<bigint, pb.AlarmMember>>();
  /** legacyNoSpace: the NOSPACE alarm came from wave 1's key, which its disarm must delete too. */
  private legacyNoSpace = false;

  /** load rebuilds the store from the `alarm` bucket's entries (`memberId` owns a legacy flag). */
  static load(entries: readonly BucketEntry[], memberId: bigint): AlarmStore {
    const store = new AlarmStore();
    for (const { key } of entries) {
      if (Buffer.from(key).toString("latin1") === LEGACY_NOSPACE_KEY) {
        store.add(pb.AlarmMember.create({ memberID: memberId, alarm: pb.AlarmType.NOSPACE }));
        store.legacyNoSpace = true;
        continue;
      }
      store.add(pb.AlarmMember.decode(key));
    }
    return store;
  }

  /** list returns the alarms matching a member (0n: any) and a type (NONE: any). */
  list(memberId = 0n, type: pb.AlarmType = pb.AlarmType.NONE): pb.AlarmMember[] {
    const out: pb.AlarmMember[] = [];
    for (const [alarmType, members] of this.byType) {
      if (type !== pb.AlarmType.NONE && alarmType !== type) continue;
      for (const alarm of members.values()) if (memberId === 0n || alarm.memberID === memberId) out.push(alarm);
    }
    return out;
  }

  /** has tells whether any member has an alarm of this type. */
  has(type: pb.AlarmType): boolean {
    return (this.byType.get(type)?.size ?? 0) > 0;
  }

  /**
   * activate raises an alarm. An alarm already active is returned with no write, as etcd
   * returns the existing one; NONE activates nothing.
   */
  activate(memberId: bigint, type: pb.AlarmType): AlarmChange | undefined {
    if (type === pb.AlarmType.NONE) return undefined;
    const existing = this.byType.get(type)?.get(memberId);
    if (existing !== undefined) return { alarm: existing, writes: [] };
    const alarm = pb.AlarmMember.create({ memberID: memberId, alarm: type });
    this.add(alarm);
    return { alarm, writes: [{ bucket: ALARM_BUCKET, key: pb.AlarmMember.encode(alarm), value: new Uint8Array(0) }] };
  }

  /** deactivate clears an alarm; undefined when it was not active. */
  deactivate(memberId: bigint, type: pb.AlarmType): AlarmChange | undefined {
    const members = this.byType.get(type);
    const alarm = members?.get(memberId);
    if (alarm === undefined) return undefined;
    members!.delete(memberId);
    if (members!.size === 0) this.byType.delete(type);
    const writes: BucketWrite[] = [{ bucket: ALARM_BUCKET, key: pb.AlarmMember.encode(alarm), value: null }];
    if (type === pb.AlarmType.NOSPACE && this.legacyNoSpace) {
      this.legacyNoSpace = false;
      writes.push({ bucket: ALARM_BUCKET, key: Buffer.from(LEGACY_NOSPACE_KEY, "latin1"), value: null });
    }
    return { alarm, writes };
  }

  private add(alarm: pb.AlarmMember): void {
    let members = this.byType.get(alarm.alarm);
    if (members === undefined) this.byType.set(alarm.alarm, (members = new Map<bigint, pb.AlarmMember>()));
    members.set(alarm.memberID, alarm);
  }
}
