/**
 * RequestChecks: which permissions each KV, Txn, Lease and Auth request needs, following
 * etcd's auth applier (`apply_auth.go`), as functions over an {@link AuthStore}. The server
 * calls them when serving a serializable read, and again when applying a committed request
 * (with the AuthInfo recorded in the raft request header), so that a change of permissions
 * between proposal and apply is honoured. LeaseTimeToLive, never applied, is checked only
 * when served (etcd's server does that check itself, not its applier). Each throws etcd's
 * error when the request may not go ahead.
 *
 * Not here: finding a lease's keys (the caller passes them in) and the request validation
 * that precedes auth (empty keys, txn size...).
 */
import { UserEmptyError, type etcdserverpb } from "@etcd-ts/api";
import type { AuthStore } from "./AuthStore.js";
import type { AuthInfo } from "./TokenProvider.js";

/** checkRange checks a Range: READ over its key range. */
export function checkRange(store: AuthStore, authInfo: AuthInfo | undefined, r: etcdserverpb.RangeRequest): void {
  store.isRangePermitted(authInfo, r.key, r.rangeEnd);
}

/**
 * checkPut checks a Put: WRITE on the key; WRITE on every key already attached to the lease
 * it names (`leaseKeys`, empty when the lease is unknown or 0), since attaching to a lease
 * lets its holder delete those keys by revoking it; and READ on the key when `prev_kv` is asked.
 */
export function checkPut(
  store: AuthStore,
  authInfo: AuthInfo | undefined,
  r: etcdserverpb.PutRequest,
  leaseKeys: Iterable<Uint8Array> = [],
): void {
  store.isPutPermitted(authInfo, r.key);
  checkLeaseKeys(store, authInfo, leaseKeys);
  if (r.prevKv) store.isRangePermitted(authInfo, r.key);
}

/** checkDeleteRange checks a DeleteRange: WRITE over its range, and READ too with `prev_kv`. */
export function checkDeleteRange(store: AuthStore, authInfo: AuthInfo | undefined, r: etcdserverpb.DeleteRangeRequest): void {
  store.isDeleteRangePermitted(authInfo, r.key, r.rangeEnd);
  if (r.prevKv) store.isRangePermitted(authInfo, r.key, r.rangeEnd);
}

/**
 * checkTxn checks a Txn: READ over every compare's range, then each operation of both
 * branches as above (a Range needs READ, a Put WRITE, a DeleteRange WRITE plus READ with
 * `prev_kv`), nested Txns included. Both branches are checked whichever one will run.
 * Lease keys of Puts inside a Txn are not checked (etcd does not either).
 */
export function checkTxn(store: AuthStore, authInfo: AuthInfo | undefined, r: etcdserverpb.TxnRequest): void {
  for (const c of r.compare) store.isRangePermitted(authInfo, c.key, c.rangeEnd);
  checkOps(store, authInfo, r.success);
  checkOps(store, authInfo, r.failure);
}

function checkOps(store: AuthStore, authInfo: AuthInfo | undefined, ops: readonly etcdserverpb.RequestOp[]): void {
  for (const op of ops) {
    const request = op.request;
    if (request === undefined) continue;
    switch (request.$case) {
      case "requestRange":
        store.isRangePermitted(authInfo, request.requestRange.key, request.requestRange.rangeEnd);
        break;
      case "requestPut":
        store.isPutPermitted(authInfo, request.requestPut.key);
        if (request.requestPut.prevKv) store.isRangePermitted(authInfo, request.requestPut.key);
        break;
      case "requestDeleteRange":
        if (request.requestDeleteRange.prevKv) store.isRangePermitted(authInfo, request.requestDeleteRange.key, request.requestDeleteRange.rangeEnd);
        store.isDeleteRangePermitted(authInfo, request.requestDeleteRange.key, request.requestDeleteRange.rangeEnd);
        break;
      case "requestTxn":
        checkTxn(store, authInfo, request.requestTxn);
        break;
    }
  }
}

/** checkLeaseRevoke checks a LeaseRevoke: WRITE on every key attached to the lease. */
export function checkLeaseRevoke(store: AuthStore, authInfo: AuthInfo | undefined, leaseKeys: Iterable<Uint8Array>): void {
  checkLeaseKeys(store, authInfo, leaseKeys);
}

/**
 * checkLeaseTimeToLive checks a LeaseTimeToLive that asks for the lease's keys (`keys: true`;
 * without it etcd checks nothing): READ on every key attached to the lease (`leaseKeys`, empty
 * when the lease is unknown), because the answer lists their names — etcd's fix for
 * CVE-2023-32082 (3.4.26, 3.5.9). While auth is enabled, a caller without credentials gets
 * UserEmptyError even for a lease without keys, as in the fixed etcd. Other errors:
 * AuthOldRevisionError, PermissionDeniedError (see {@link AuthStore.isOpPermitted}).
 */
export function checkLeaseTimeToLive(store: AuthStore, authInfo: AuthInfo | undefined, leaseKeys: Iterable<Uint8Array>): void {
  if (!store.isAuthEnabled()) return;
  if (authInfo === undefined) throw new UserEmptyError();
  for (const key of leaseKeys) store.isRangePermitted(authInfo, key);
}

function checkLeaseKeys(store: AuthStore, authInfo: AuthInfo | undefined, leaseKeys: Iterable<Uint8Array>): void {
  for (const key of leaseKeys) store.isPutPermitted(authInfo, key);
}

/**
 * checkUserGet checks a UserGet: root may read any user, any user may read itself. The
 * error is the admin check's (UserEmptyError, UserNotFoundError, PermissionDeniedError).
 */
export function checkUserGet(store: AuthStore, authInfo: AuthInfo | undefined, r: etcdserverpb.AuthUserGetRequest): void {
  if (r.name === (authInfo?.username ?? "")) return; // as etcd: one's own user, even the empty name
  store.isAdminPermitted(authInfo);
}

/** checkRoleGet checks a RoleGet: root may read any role, a user may read the roles it holds. */
export function checkRoleGet(store: AuthStore, authInfo: AuthInfo | undefined, r: etcdserverpb.AuthRoleGetRequest): void {
  if (authInfo !== undefined && store.hasRole(authInfo.username, r.role)) return;
  store.isAdminPermitted(authInfo);
}

/**
 * ADMIN_REQUESTS names the InternalRaftRequest fields whose requests need the root role
 * (checked with `isAdminPermitted` before applying): every Auth RPC except Authenticate,
 * UserGet and RoleGet (checked by {@link checkUserGet} / {@link checkRoleGet}). The
 * membership RPCs (MemberAdd/Remove/Update/Promote) need it too; etcd checks them when serving.
 */
export const ADMIN_REQUESTS: ReadonlySet<string> = new Set([
  "authEnable",
  "authDisable",
  "authUserAdd",
  "authUserDelete",
  "authUserChangePassword",
  "authUserGrantRole",
  "authUserRevokeRole",
  "authRoleAdd",
  "authRoleGrantPermission",
  "authRoleRevokePermission",
  "authRoleDelete",
  "authUserList",
  "authRoleList",
]);
