/**
 * AuthBackend: the persistence seam between the auth store and whatever keeps its state on
 * disk. The auth package does not import the storage layer; the server binds this interface
 * to the backend (etcd's layout: bucket `auth` with `authEnabled` = [1]/[0] and
 * `authRevision` = 8-byte big-endian; bucket `authUsers` name → `authpb.User`; bucket
 * `authRoles` name → `authpb.Role`).
 *
 * Contract:
 *  - {@link AuthBackend.load} is called when the store opens and again on
 *    {@link AuthStore.recover} (after a snapshot replaced the backend); it returns everything.
 *  - The write methods are called synchronously while the auth store applies one committed
 *    request, in the order the changes happen, each request ending with a `setRevision`
 *    when it changed anything. The caller of the apply method owns the write transaction:
 *    it must make the writes of one request land in the same backend transaction as the
 *    consistent index of that raft entry, so that a crash never keeps one without the other.
 *    A request that fails (throws an etcd error) writes nothing.
 *  - Objects passed in are not mutated by the store afterwards; the backend may keep them.
 *  - Nothing here is read on a hot path: the store keeps its own copy in memory.
 */
import type { authpb } from "@etcd-ts/api";

/** AuthSnapshot is the whole persisted auth state. */
export interface AuthSnapshot {
  /** enabled is the `authEnabled` flag. */
  readonly enabled: boolean;
  /** revision is the auth revision; 0 when never written (a fresh backend). */
  readonly revision: number;
  /** users holds every user, in any order. */
  readonly users: readonly authpb.User[];
  /** roles holds every role, in any order. */
  readonly roles: readonly authpb.Role[];
}

/** AuthBackend persists the auth state; see the module comment for the contract. */
export interface AuthBackend {
  /** load returns the persisted state. */
  load(): AuthSnapshot;
  /** putUser creates or replaces the user named `user.name`. */
  putUser(user: authpb.User): void;
  /** deleteUser removes the user; it is only called for a user that exists. */
  deleteUser(name: string): void;
  /** putRole creates or replaces the role named `role.name`. */
  putRole(role: authpb.Role): void;
  /** deleteRole removes the role; it is only called for a role that exists. */
  deleteRole(name: string): void;
  /** setEnabled stores the `authEnabled` flag. */
  setEnabled(enabled: boolean): void;
  /** setRevision stores the auth revision. */
  setRevision(revision: number): void;
}
