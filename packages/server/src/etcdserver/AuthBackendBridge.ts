/**
 * AuthBackendBridge: the auth store's persistence (etcd's buckets `auth`, `authUsers`,
 * `authRoles`) on our MVCC engine. The store's writes arrive synchronously while a committed
 * request is applied; they are queued as bucket writes that the applier commits in the same
 * engine transaction as the entry's consistent index.
 */
import { authpb } from "@etcd-ts/api";
import type { AuthBackend, AuthSnapshot } from "@etcd-ts/auth";
import type { BucketWrite, MvccEngine } from "@etcd-ts/mvcc";

const AUTH = "auth";
const USERS = "authUsers";
const ROLES = "authRoles";
const ENABLED_KEY = new TextEncoder().encode("authEnabled");
const REVISION_KEY = new TextEncoder().encode("authRevision");
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** AuthBackendBridge implements AuthBackend over the engine's buckets. */
export class AuthBackendBridge implements AuthBackend {
  private pending: BucketWrite[] = [];

  private constructor(private readonly snapshot: AuthSnapshot) {}

  /** open reads the persisted auth state. */
  static async open(engine: MvccEngine): Promise<AuthBackendBridge> {
    const meta = await engine.readBucket(AUTH);
    const find = (key: Uint8Array): Uint8Array | undefined => meta.find((e) => text(e.key) === text(key))?.value;
    const enabled = find(ENABLED_KEY)?.[0] === 1;
    const revisionBytes = find(REVISION_KEY);
    const revision = revisionBytes ? Number(Buffer.from(revisionBytes).readBigUInt64BE(0)) : 0;
    const users = (await engine.readBucket(USERS)).map((e) => authpb.User.decode(e.value));
    const roles = (await engine.readBucket(ROLES)).map((e) => authpb.Role.decode(e.value));
    return new AuthBackendBridge({ enabled, revision, users, roles });
  }

  load(): AuthSnapshot {
    return this.snapshot;
  }

  putUser(user: authpb.User): void {
    this.pending.push({ bucket: USERS, key: Uint8Array.from(user.name), value: authpb.User.encode(user) });
  }

  deleteUser(name: string): void {
    this.pending.push({ bucket: USERS, key: new TextEncoder().encode(name), value: null });
  }

  putRole(role: authpb.Role): void {
    this.pending.push({ bucket: ROLES, key: Uint8Array.from(role.name), value: authpb.Role.encode(role) });
  }

  deleteRole(name: string): void {
    this.pending.push({ bucket: ROLES, key: new TextEncoder().encode(name), value: null });
  }

  setEnabled(enabled: boolean): void {
    this.pending.push({ bucket: AUTH, key: ENABLED_KEY, value: Uint8Array.of(enabled ? 1 : 0) });
  }

  setRevision(revision: number): void {
    const value = Buffer.alloc(8);
    value.writeBigUInt64BE(BigInt(revision));
    this.pending.push({ bucket: AUTH, key: REVISION_KEY, value });
  }

  /** drain hands over the writes queued since the last call. */
  drain(): BucketWrite[] {
    const writes = this.pending;
    this.pending = [];
    return writes;
  }
}
