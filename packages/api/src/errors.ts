/**
 * etcd's client-facing error catalogue, as typed errors.
 *
 * Every error an etcd v3 server deliberately reports to a gRPC client is a gRPC status: a
 * code plus a fixed message such as "etcdserver: key is not provided". etcd keeps that list
 * in `rpctypes/error.go` (the `ErrGRPC*` values); this module has one class per entry, with
 * the status code and the exact message, so that
 *  - the server can raise `new LeaseNotFoundError()` and send {@link toStatus} of it, and
 *  - a client can turn a received status back into a class with {@link errorFromStatus}
 *    and test for it with `instanceof`, the way etcd's Go client matches on message text.
 *
 * The catalogue is etcd 3.4.23's (`go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes`), plus the
 * entries etcd 3.5 added, each marked "etcd 3.5" (checked against the 3.5.4 release of
 * `go.etcd.io/etcd/api/v3/v3rpc/rpctypes`).
 *
 * What it does not do:
 *  - it does not turn the server's internal errors ("mvcc: required revision has been
 *    compacted", "lease not found", "auth: user not found", ...) into these; that table
 *    (etcd's `v3rpc/util.go`) belongs to the server, which raises these classes directly;
 *  - it does not depend on a gRPC library: statuses are plain `{ code, details }` records,
 *    and codes are the numbers in `grpcStatus.ts`;
 *  - it does not classify errors for retry, failover or re-authentication; callers decide
 *    that from the class or the code;
 *  - transport-level failures (deadline, cancellation, connection loss) that gRPC itself
 *    reports are not etcd errors and come back from {@link errorFromStatus} as a plain
 *    {@link EtcdError} carrying their code and text.
 */

import { GrpcStatus, grpcStatusName, isGrpcStatusCode } from "./grpcStatus.js";
import type { GrpcStatusCode } from "./grpcStatus.js";

/**
 * EtcdError is the base of every etcd error: an `Error` whose `message` is the exact text
 * etcd sends and whose `code` is the gRPC status it travels under. A plain EtcdError (not a
 * subclass) stands for a status that is not in the catalogue.
 */
export class EtcdError extends Error {
  /** code is the gRPC status code of this error. */
  readonly code: GrpcStatusCode;

  /**
   * Creates an error with the given status code and message; `name` becomes the name of
   * the class actually constructed ("EtcdError", "NoLeaderError", ...).
   */
  constructor(code: GrpcStatusCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * ErrorClass is the shape of every catalogue class: a no-argument constructor (an optional
 * `cause` may be passed through `ErrorOptions`) and the two facts it stands for.
 */
export interface ErrorClass {
  /** Creates the error; its `code` and `message` are the class's own. */
  new (options?: ErrorOptions): EtcdError;
  /** code is the gRPC status code etcd gives this error. */
  readonly code: GrpcStatusCode;
  /** message is the exact status message etcd sends for this error. */
  readonly message: string;
  /** name is the class name, which is also the `name` of its instances. */
  readonly name: string;
}

// ---------------------------------------------------------------------------------------
// Request validation (KV)
// ---------------------------------------------------------------------------------------

/** EmptyKeyError is etcd's ErrGRPCEmptyKey: a request that needs a key carried an empty one. */
export class EmptyKeyError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: key is not provided";
  constructor(options?: ErrorOptions) {
    super(EmptyKeyError.code, EmptyKeyError.message, options);
  }
}

/**
 * KeyNotFoundError is etcd's ErrGRPCKeyNotFound: a Put with `ignore_value` or `ignore_lease`
 * named a key that does not exist.
 */
export class KeyNotFoundError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: key not found";
  constructor(options?: ErrorOptions) {
    super(KeyNotFoundError.code, KeyNotFoundError.message, options);
  }
}

/** ValueProvidedError is etcd's ErrGRPCValueProvided: a Put set `ignore_value` yet carried a value. */
export class ValueProvidedError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: value is provided";
  constructor(options?: ErrorOptions) {
    super(ValueProvidedError.code, ValueProvidedError.message, options);
  }
}

/** LeaseProvidedError is etcd's ErrGRPCLeaseProvided: a Put set `ignore_lease` yet carried a lease. */
export class LeaseProvidedError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: lease is provided";
  constructor(options?: ErrorOptions) {
    super(LeaseProvidedError.code, LeaseProvidedError.message, options);
  }
}

/** TooManyOpsError is etcd's ErrGRPCTooManyOps: a Txn branch holds more operations than allowed. */
export class TooManyOpsError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: too many operations in txn request";
  constructor(options?: ErrorOptions) {
    super(TooManyOpsError.code, TooManyOpsError.message, options);
  }
}

/** DuplicateKeyError is etcd's ErrGRPCDuplicateKey: a Txn branch writes the same key more than once. */
export class DuplicateKeyError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: duplicate key given in txn request";
  constructor(options?: ErrorOptions) {
    super(DuplicateKeyError.code, DuplicateKeyError.message, options);
  }
}

// ---------------------------------------------------------------------------------------
// Revisions and storage
// ---------------------------------------------------------------------------------------

/** CompactedError is etcd's ErrGRPCCompacted: the requested revision has been compacted away. */
export class CompactedError extends EtcdError {
  static readonly code = GrpcStatus.OUT_OF_RANGE;
  static readonly message = "etcdserver: mvcc: required revision has been compacted";
  constructor(options?: ErrorOptions) {
    super(CompactedError.code, CompactedError.message, options);
  }
}

/** FutureRevError is etcd's ErrGRPCFutureRev: the requested revision is beyond the current one. */
export class FutureRevError extends EtcdError {
  static readonly code = GrpcStatus.OUT_OF_RANGE;
  static readonly message = "etcdserver: mvcc: required revision is a future revision";
  constructor(options?: ErrorOptions) {
    super(FutureRevError.code, FutureRevError.message, options);
  }
}

/** NoSpaceError is etcd's ErrGRPCNoSpace: the backend quota is used up (the NOSPACE alarm). */
export class NoSpaceError extends EtcdError {
  static readonly code = GrpcStatus.RESOURCE_EXHAUSTED;
  static readonly message = "etcdserver: mvcc: database space exceeded";
  constructor(options?: ErrorOptions) {
    super(NoSpaceError.code, NoSpaceError.message, options);
  }
}

// ---------------------------------------------------------------------------------------
// Leases and watches
// ---------------------------------------------------------------------------------------

/** LeaseNotFoundError is etcd's ErrGRPCLeaseNotFound: no lease has the given ID. */
export class LeaseNotFoundError extends EtcdError {
  static readonly code = GrpcStatus.NOT_FOUND;
  static readonly message = "etcdserver: requested lease not found";
  constructor(options?: ErrorOptions) {
    super(LeaseNotFoundError.code, LeaseNotFoundError.message, options);
  }
}

/** LeaseExistError is etcd's ErrGRPCLeaseExist: LeaseGrant asked for an ID already in use. */
export class LeaseExistError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: lease already exists";
  constructor(options?: ErrorOptions) {
    super(LeaseExistError.code, LeaseExistError.message, options);
  }
}

/** LeaseTTLTooLargeError is etcd's ErrGRPCLeaseTTLTooLarge: LeaseGrant asked for a TTL above the maximum. */
export class LeaseTTLTooLargeError extends EtcdError {
  static readonly code = GrpcStatus.OUT_OF_RANGE;
  static readonly message = "etcdserver: too large lease TTL";
  constructor(options?: ErrorOptions) {
    super(LeaseTTLTooLargeError.code, LeaseTTLTooLargeError.message, options);
  }
}

/**
 * WatchCanceledError is etcd's ErrGRPCWatchCanceled: a Watch stream ended because its context
 * was cancelled. etcd's Go client does not look this one up by message; it is here because
 * the server sends it.
 */
export class WatchCanceledError extends EtcdError {
  static readonly code = GrpcStatus.CANCELLED;
  static readonly message = "etcdserver: watch canceled";
  constructor(options?: ErrorOptions) {
    super(WatchCanceledError.code, WatchCanceledError.message, options);
  }
}

// ---------------------------------------------------------------------------------------
// Cluster membership
// ---------------------------------------------------------------------------------------

/** MemberExistError is etcd's ErrGRPCMemberExist: a member with that ID is already in the cluster. */
export class MemberExistError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: member ID already exist";
  constructor(options?: ErrorOptions) {
    super(MemberExistError.code, MemberExistError.message, options);
  }
}

/** PeerURLExistError is etcd's ErrGRPCPeerURLExist: another member already uses one of the peer URLs. */
export class PeerURLExistError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: Peer URLs already exists";
  constructor(options?: ErrorOptions) {
    super(PeerURLExistError.code, PeerURLExistError.message, options);
  }
}

/**
 * MemberNotEnoughStartedError is etcd's ErrGRPCMemberNotEnoughStarted: a membership change was
 * refused because too few members would be started to keep quorum.
 *
 * Wire note: etcd 3.4's server maps this error to the Go client-side value, which carries no
 * gRPC status, so it reaches clients with code UNKNOWN (2); {@link toStatus} does the same.
 */
export class MemberNotEnoughStartedError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: re-configuration failed due to not enough started members";
  constructor(options?: ErrorOptions) {
    super(MemberNotEnoughStartedError.code, MemberNotEnoughStartedError.message, options);
  }
}

/** MemberBadURLsError is etcd's ErrGRPCMemberBadURLs: MemberAdd or MemberUpdate was given malformed URLs. */
export class MemberBadURLsError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: given member URLs are invalid";
  constructor(options?: ErrorOptions) {
    super(MemberBadURLsError.code, MemberBadURLsError.message, options);
  }
}

/** MemberNotFoundError is etcd's ErrGRPCMemberNotFound: no member (or only a removed one) has that ID. */
export class MemberNotFoundError extends EtcdError {
  static readonly code = GrpcStatus.NOT_FOUND;
  static readonly message = "etcdserver: member not found";
  constructor(options?: ErrorOptions) {
    super(MemberNotFoundError.code, MemberNotFoundError.message, options);
  }
}

/** MemberNotLearnerError is etcd's ErrGRPCMemberNotLearner: MemberPromote named a voting member. */
export class MemberNotLearnerError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: can only promote a learner member";
  constructor(options?: ErrorOptions) {
    super(MemberNotLearnerError.code, MemberNotLearnerError.message, options);
  }
}

/** LearnerNotReadyError is etcd's ErrGRPCLearnerNotReady: MemberPromote named a learner not yet caught up with the leader. */
export class LearnerNotReadyError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: can only promote a learner member which is in sync with leader";
  constructor(options?: ErrorOptions) {
    super(LearnerNotReadyError.code, LearnerNotReadyError.message, options);
  }
}

/** TooManyLearnersError is etcd's ErrGRPCTooManyLearners: adding a learner would exceed the learner limit. */
export class TooManyLearnersError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: too many learner members in cluster";
  constructor(options?: ErrorOptions) {
    super(TooManyLearnersError.code, TooManyLearnersError.message, options);
  }
}

// ---------------------------------------------------------------------------------------
// Request limits
// ---------------------------------------------------------------------------------------

/** RequestTooLargeError is etcd's ErrGRPCRequestTooLarge: the request exceeds the server's size limit. */
export class RequestTooLargeError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: request is too large";
  constructor(options?: ErrorOptions) {
    super(RequestTooLargeError.code, RequestTooLargeError.message, options);
  }
}

/**
 * TooManyRequestsError is etcd's ErrGRPCRequestTooManyRequests: the server's applied index lags
 * its committed index too far and it is shedding proposals.
 *
 * Wire note: etcd 3.4's server maps this error to the Go client-side value, which carries no
 * gRPC status, so it reaches clients with code UNKNOWN (2); {@link toStatus} does the same.
 */
export class TooManyRequestsError extends EtcdError {
  static readonly code = GrpcStatus.RESOURCE_EXHAUSTED;
  static readonly message = "etcdserver: too many requests";
  constructor(options?: ErrorOptions) {
    super(TooManyRequestsError.code, TooManyRequestsError.message, options);
  }
}

// ---------------------------------------------------------------------------------------
// Authentication and authorisation
// ---------------------------------------------------------------------------------------

/** RootUserNotExistError is etcd's ErrGRPCRootUserNotExist: AuthEnable found no "root" user. */
export class RootUserNotExistError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: root user does not exist";
  constructor(options?: ErrorOptions) {
    super(RootUserNotExistError.code, RootUserNotExistError.message, options);
  }
}

/** RootRoleNotExistError is etcd's ErrGRPCRootRoleNotExist: AuthEnable found the "root" user without the "root" role. */
export class RootRoleNotExistError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: root user does not have root role";
  constructor(options?: ErrorOptions) {
    super(RootRoleNotExistError.code, RootRoleNotExistError.message, options);
  }
}

/** UserAlreadyExistError is etcd's ErrGRPCUserAlreadyExist: UserAdd named an existing user. */
export class UserAlreadyExistError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: user name already exists";
  constructor(options?: ErrorOptions) {
    super(UserAlreadyExistError.code, UserAlreadyExistError.message, options);
  }
}

/**
 * UserEmptyError is etcd's ErrGRPCUserEmpty: a user name was empty, which is also what a
 * request without credentials gets while auth is enabled.
 */
export class UserEmptyError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: user name is empty";
  constructor(options?: ErrorOptions) {
    super(UserEmptyError.code, UserEmptyError.message, options);
  }
}

/** UserNotFoundError is etcd's ErrGRPCUserNotFound: no user has that name. */
export class UserNotFoundError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: user name not found";
  constructor(options?: ErrorOptions) {
    super(UserNotFoundError.code, UserNotFoundError.message, options);
  }
}

/** RoleAlreadyExistError is etcd's ErrGRPCRoleAlreadyExist: RoleAdd named an existing role. */
export class RoleAlreadyExistError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: role name already exists";
  constructor(options?: ErrorOptions) {
    super(RoleAlreadyExistError.code, RoleAlreadyExistError.message, options);
  }
}

/** RoleNotFoundError is etcd's ErrGRPCRoleNotFound: no role has that name. */
export class RoleNotFoundError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: role name not found";
  constructor(options?: ErrorOptions) {
    super(RoleNotFoundError.code, RoleNotFoundError.message, options);
  }
}

/** RoleEmptyError is etcd's ErrGRPCRoleEmpty: a role name was empty. */
export class RoleEmptyError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: role name is empty";
  constructor(options?: ErrorOptions) {
    super(RoleEmptyError.code, RoleEmptyError.message, options);
  }
}

/** AuthFailedError is etcd's ErrGRPCAuthFailed: Authenticate was given a wrong user name or password. */
export class AuthFailedError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: authentication failed, invalid user ID or password";
  constructor(options?: ErrorOptions) {
    super(AuthFailedError.code, AuthFailedError.message, options);
  }
}

/**
 * PermissionNotGivenError is etcd's ErrGRPCPermissionNotGiven: a role permission request
 * carried no permission. etcd's Go client does not look this one up by message.
 *
 * etcd 3.5
 */
export class PermissionNotGivenError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: permission not given";
  constructor(options?: ErrorOptions) {
    super(PermissionNotGivenError.code, PermissionNotGivenError.message, options);
  }
}

/** PermissionDeniedError is etcd's ErrGRPCPermissionDenied: the authenticated user may not do this. */
export class PermissionDeniedError extends EtcdError {
  static readonly code = GrpcStatus.PERMISSION_DENIED;
  static readonly message = "etcdserver: permission denied";
  constructor(options?: ErrorOptions) {
    super(PermissionDeniedError.code, PermissionDeniedError.message, options);
  }
}

/** RoleNotGrantedError is etcd's ErrGRPCRoleNotGranted: UserRevokeRole named a role the user does not have. */
export class RoleNotGrantedError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: role is not granted to the user";
  constructor(options?: ErrorOptions) {
    super(RoleNotGrantedError.code, RoleNotGrantedError.message, options);
  }
}

/** PermissionNotGrantedError is etcd's ErrGRPCPermissionNotGranted: RoleRevokePermission named a permission the role does not have. */
export class PermissionNotGrantedError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: permission is not granted to the role";
  constructor(options?: ErrorOptions) {
    super(PermissionNotGrantedError.code, PermissionNotGrantedError.message, options);
  }
}

/** AuthNotEnabledError is etcd's ErrGRPCAuthNotEnabled: Authenticate was called while auth is disabled. */
export class AuthNotEnabledError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: authentication is not enabled";
  constructor(options?: ErrorOptions) {
    super(AuthNotEnabledError.code, AuthNotEnabledError.message, options);
  }
}

/** InvalidAuthTokenError is etcd's ErrGRPCInvalidAuthToken: the request's token is unknown, expired or malformed. */
export class InvalidAuthTokenError extends EtcdError {
  static readonly code = GrpcStatus.UNAUTHENTICATED;
  static readonly message = "etcdserver: invalid auth token";
  constructor(options?: ErrorOptions) {
    super(InvalidAuthTokenError.code, InvalidAuthTokenError.message, options);
  }
}

/** InvalidAuthMgmtError is etcd's ErrGRPCInvalidAuthMgmt: an auth change that would break auth (e.g. revoking root's root role while enabled). */
export class InvalidAuthMgmtError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: invalid auth management";
  constructor(options?: ErrorOptions) {
    super(InvalidAuthMgmtError.code, InvalidAuthMgmtError.message, options);
  }
}

/**
 * AuthOldRevisionError is etcd's ErrGRPCAuthOldRevision: the token was issued at an auth-store
 * revision older than the current one; clients re-authenticate and retry.
 */
export class AuthOldRevisionError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: revision of auth store is old";
  constructor(options?: ErrorOptions) {
    super(AuthOldRevisionError.code, AuthOldRevisionError.message, options);
  }
}

// ---------------------------------------------------------------------------------------
// Server and cluster state
// ---------------------------------------------------------------------------------------

/** NoLeaderError is etcd's ErrGRPCNoLeader: the member currently has no leader. */
export class NoLeaderError extends EtcdError {
  static readonly code = GrpcStatus.UNAVAILABLE;
  static readonly message = "etcdserver: no leader";
  constructor(options?: ErrorOptions) {
    super(NoLeaderError.code, NoLeaderError.message, options);
  }
}

/** NotLeaderError is etcd's ErrGRPCNotLeader: the request must go to the leader and this member is not it. */
export class NotLeaderError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: not leader";
  constructor(options?: ErrorOptions) {
    super(NotLeaderError.code, NotLeaderError.message, options);
  }
}

/** LeaderChangedError is etcd's ErrGRPCLeaderChanged: leadership changed while the request was in flight. */
export class LeaderChangedError extends EtcdError {
  static readonly code = GrpcStatus.UNAVAILABLE;
  static readonly message = "etcdserver: leader changed";
  constructor(options?: ErrorOptions) {
    super(LeaderChangedError.code, LeaderChangedError.message, options);
  }
}

/** NotCapableError is etcd's ErrGRPCNotCapable: the cluster version does not yet enable the v3 API. */
export class NotCapableError extends EtcdError {
  static readonly code = GrpcStatus.UNAVAILABLE;
  static readonly message = "etcdserver: not capable";
  constructor(options?: ErrorOptions) {
    super(NotCapableError.code, NotCapableError.message, options);
  }
}

/** StoppedError is etcd's ErrGRPCStopped: the server is stopping or has stopped. */
export class StoppedError extends EtcdError {
  static readonly code = GrpcStatus.UNAVAILABLE;
  static readonly message = "etcdserver: server stopped";
  constructor(options?: ErrorOptions) {
    super(StoppedError.code, StoppedError.message, options);
  }
}

/**
 * RequestTimeoutError is etcd's ErrGRPCTimeout: the proposal was not applied in time. (Named so
 * as not to shadow the DOM's `TimeoutError`.)
 */
export class RequestTimeoutError extends EtcdError {
  static readonly code = GrpcStatus.UNAVAILABLE;
  static readonly message = "etcdserver: request timed out";
  constructor(options?: ErrorOptions) {
    super(RequestTimeoutError.code, RequestTimeoutError.message, options);
  }
}

/** TimeoutDueToLeaderFailError is etcd's ErrGRPCTimeoutDueToLeaderFail: timed out, probably because the previous leader failed. */
export class TimeoutDueToLeaderFailError extends EtcdError {
  static readonly code = GrpcStatus.UNAVAILABLE;
  static readonly message = "etcdserver: request timed out, possibly due to previous leader failure";
  constructor(options?: ErrorOptions) {
    super(TimeoutDueToLeaderFailError.code, TimeoutDueToLeaderFailError.message, options);
  }
}

/** TimeoutDueToConnectionLostError is etcd's ErrGRPCTimeoutDueToConnectionLost: timed out, probably because peers became unreachable. */
export class TimeoutDueToConnectionLostError extends EtcdError {
  static readonly code = GrpcStatus.UNAVAILABLE;
  static readonly message = "etcdserver: request timed out, possibly due to connection lost";
  constructor(options?: ErrorOptions) {
    super(TimeoutDueToConnectionLostError.code, TimeoutDueToConnectionLostError.message, options);
  }
}

/** TimeoutWaitAppliedIndexError is etcd's ErrGRPCTimeoutWaitAppliedIndex: a linearizable read waited too long for the applied index. */
export class TimeoutWaitAppliedIndexError extends EtcdError {
  static readonly code = GrpcStatus.UNAVAILABLE;
  static readonly message = "etcdserver: request timed out, waiting for the applied index took too long";
  constructor(options?: ErrorOptions) {
    super(TimeoutWaitAppliedIndexError.code, TimeoutWaitAppliedIndexError.message, options);
  }
}

/** UnhealthyError is etcd's ErrGRPCUnhealthy: the cluster is not healthy enough to accept the change. */
export class UnhealthyError extends EtcdError {
  static readonly code = GrpcStatus.UNAVAILABLE;
  static readonly message = "etcdserver: unhealthy cluster";
  constructor(options?: ErrorOptions) {
    super(UnhealthyError.code, UnhealthyError.message, options);
  }
}

/** CorruptError is etcd's ErrGRPCCorrupt: the member detected data corruption (the CORRUPT alarm). */
export class CorruptError extends EtcdError {
  static readonly code = GrpcStatus.DATA_LOSS;
  static readonly message = "etcdserver: corrupt cluster";
  constructor(options?: ErrorOptions) {
    super(CorruptError.code, CorruptError.message, options);
  }
}

/**
 * NotSupportedForLearnerError is etcd's ErrGPRCNotSupportedForLearner (sic): a learner was
 * asked for something only voting members serve.
 */
export class NotSupportedForLearnerError extends EtcdError {
  static readonly code = GrpcStatus.UNAVAILABLE;
  static readonly message = "etcdserver: rpc not supported for learner";
  constructor(options?: ErrorOptions) {
    super(NotSupportedForLearnerError.code, NotSupportedForLearnerError.message, options);
  }
}

/** BadLeaderTransfereeError is etcd's ErrGRPCBadLeaderTransferee: MoveLeader named a member that cannot take leadership. */
export class BadLeaderTransfereeError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: bad leader transferee";
  constructor(options?: ErrorOptions) {
    super(BadLeaderTransfereeError.code, BadLeaderTransfereeError.message, options);
  }
}

// ---------------------------------------------------------------------------------------
// Downgrade (etcd 3.5)
// ---------------------------------------------------------------------------------------

/**
 * ClusterVersionUnavailableError is etcd's ErrGRPCClusterVersionUnavailable: a downgrade was
 * requested before the cluster version is known.
 *
 * etcd 3.5
 */
export class ClusterVersionUnavailableError extends EtcdError {
  static readonly code = GrpcStatus.UNAVAILABLE;
  static readonly message = "etcdserver: cluster version not found during downgrade";
  constructor(options?: ErrorOptions) {
    super(ClusterVersionUnavailableError.code, ClusterVersionUnavailableError.message, options);
  }
}

/**
 * WrongDowngradeVersionFormatError is etcd's ErrGRPCWrongDowngradeVersionFormat: the downgrade
 * target is not a version string.
 *
 * etcd 3.5
 */
export class WrongDowngradeVersionFormatError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: wrong downgrade target version format";
  constructor(options?: ErrorOptions) {
    super(WrongDowngradeVersionFormatError.code, WrongDowngradeVersionFormatError.message, options);
  }
}

/**
 * InvalidDowngradeTargetVersionError is etcd's ErrGRPCInvalidDowngradeTargetVersion: the
 * downgrade target is not a version the cluster may downgrade to.
 *
 * etcd 3.5
 */
export class InvalidDowngradeTargetVersionError extends EtcdError {
  static readonly code = GrpcStatus.INVALID_ARGUMENT;
  static readonly message = "etcdserver: invalid downgrade target version";
  constructor(options?: ErrorOptions) {
    super(InvalidDowngradeTargetVersionError.code, InvalidDowngradeTargetVersionError.message, options);
  }
}

/**
 * DowngradeInProcessError is etcd's ErrGRPCDowngradeInProcess: a downgrade is already under way.
 *
 * etcd 3.5
 */
export class DowngradeInProcessError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: cluster has a downgrade job in progress";
  constructor(options?: ErrorOptions) {
    super(DowngradeInProcessError.code, DowngradeInProcessError.message, options);
  }
}

/**
 * NoInflightDowngradeError is etcd's ErrGRPCNoInflightDowngrade: a downgrade cancel found no
 * downgrade to cancel.
 *
 * etcd 3.5
 */
export class NoInflightDowngradeError extends EtcdError {
  static readonly code = GrpcStatus.FAILED_PRECONDITION;
  static readonly message = "etcdserver: no inflight downgrade job";
  constructor(options?: ErrorOptions) {
    super(NoInflightDowngradeError.code, NoInflightDowngradeError.message, options);
  }
}

// ---------------------------------------------------------------------------------------
// Request context (etcd 3.5)
// ---------------------------------------------------------------------------------------

/**
 * RequestCanceledError is etcd's ErrGRPCCanceled: the server gave up a request because its
 * context was cancelled. etcd's Go client does not look this one up by message.
 *
 * etcd 3.5
 */
export class RequestCanceledError extends EtcdError {
  static readonly code = GrpcStatus.CANCELLED;
  static readonly message = "etcdserver: request canceled";
  constructor(options?: ErrorOptions) {
    super(RequestCanceledError.code, RequestCanceledError.message, options);
  }
}

/**
 * DeadlineExceededError is etcd's ErrGRPCDeadlineExceeded: the server gave up a request because
 * its deadline passed. etcd's Go client does not look this one up by message.
 *
 * etcd 3.5
 */
export class DeadlineExceededError extends EtcdError {
  static readonly code = GrpcStatus.DEADLINE_EXCEEDED;
  static readonly message = "etcdserver: context deadline exceeded";
  constructor(options?: ErrorOptions) {
    super(DeadlineExceededError.code, DeadlineExceededError.message, options);
  }
}

// ---------------------------------------------------------------------------------------
// Catalogue and conversions
// ---------------------------------------------------------------------------------------

/**
 * ETCD_ERRORS is the whole catalogue, frozen, in the order of etcd's `rpctypes/error.go`:
 * the 52 `ErrGRPC*` values of etcd 3.4.23 followed by the 8 that etcd 3.5 added.
 */
export const ETCD_ERRORS: readonly ErrorClass[] = Object.freeze([
  EmptyKeyError,
  KeyNotFoundError,
  ValueProvidedError,
  LeaseProvidedError,
  TooManyOpsError,
  DuplicateKeyError,
  CompactedError,
  FutureRevError,
  NoSpaceError,
  LeaseNotFoundError,
  LeaseExistError,
  LeaseTTLTooLargeError,
  WatchCanceledError,
  MemberExistError,
  PeerURLExistError,
  MemberNotEnoughStartedError,
  MemberBadURLsError,
  MemberNotFoundError,
  MemberNotLearnerError,
  LearnerNotReadyError,
  TooManyLearnersError,
  RequestTooLargeError,
  TooManyRequestsError,
  RootUserNotExistError,
  RootRoleNotExistError,
  UserAlreadyExistError,
  UserEmptyError,
  UserNotFoundError,
  RoleAlreadyExistError,
  RoleNotFoundError,
  RoleEmptyError,
  AuthFailedError,
  PermissionDeniedError,
  RoleNotGrantedError,
  PermissionNotGrantedError,
  AuthNotEnabledError,
  InvalidAuthTokenError,
  InvalidAuthMgmtError,
  AuthOldRevisionError,
  NoLeaderError,
  NotLeaderError,
  LeaderChangedError,
  NotCapableError,
  StoppedError,
  RequestTimeoutError,
  TimeoutDueToLeaderFailError,
  TimeoutDueToConnectionLostError,
  TimeoutWaitAppliedIndexError,
  UnhealthyError,
  CorruptError,
  NotSupportedForLearnerError,
  BadLeaderTransfereeError,
  // etcd 3.5
  PermissionNotGivenError,
  ClusterVersionUnavailableError,
  WrongDowngradeVersionFormatError,
  InvalidDowngradeTargetVersionError,
  DowngradeInProcessError,
  NoInflightDowngradeError,
  RequestCanceledError,
  DeadlineExceededError,
]);

/** Catalogue classes by their exact message; messages are unique across the catalogue. */
const CLASS_BY_MESSAGE: ReadonlyMap<string, ErrorClass> = new Map(
  ETCD_ERRORS.map((cls): [string, ErrorClass] => [cls.message, cls]),
);

/**
 * Classes that etcd 3.4's server sends with code UNKNOWN instead of their own: its
 * `v3rpc/util.go` maps the underlying server errors to the Go client-side values
 * (`rpctypes.ErrTooManyRequests`, `rpctypes.ErrMemberNotEnoughStarted`), which carry no
 * gRPC status, and grpc-go sends any such error as UNKNOWN with its text.
 */
const SENT_AS_UNKNOWN: ReadonlySet<ErrorClass> = new Set<ErrorClass>([
  TooManyRequestsError,
  MemberNotEnoughStartedError,
]);

/**
 * errorClassForMessage returns the catalogue class whose message is exactly `message`, or
 * undefined when no etcd error has that text.
 */
export function errorClassForMessage(message: string): ErrorClass | undefined {
  return CLASS_BY_MESSAGE.get(message);
}

/**
 * StatusLike is a gRPC status as a client library hands it over: the numeric `code`, and the
 * server's message in `details` and/or a formatted `message` (grpc-js's `ServiceError` has
 * both; `message` there is `"<code> <NAME>: <details>"`).
 */
export interface StatusLike {
  /** code is the numeric gRPC status code. */
  readonly code: number;
  /** details is the status message exactly as the server sent it. */
  readonly details?: string | undefined;
  /** message is an error message, possibly grpc-js's `"<code> <NAME>: <details>"` form. */
  readonly message?: string | undefined;
}

/** The prefix grpc-js puts before the server's text in `ServiceError.message`. */
const GRPC_JS_MESSAGE = /^(\d+) ([A-Z_]+): /;

/**
 * statusDetails returns the server's status message from a received status: `details` when it
 * is non-empty, otherwise `message` with grpc-js's `"<code> <NAME>: "` prefix removed (the
 * prefix is only removed when NAME is the canonical name of that code), otherwise "".
 */
export function statusDetails(status: StatusLike): string {
  if (status.details !== undefined && status.details !== "") return status.details;
  const message = status.message ?? "";
  const prefix = GRPC_JS_MESSAGE.exec(message);
  if (prefix !== null) {
    if (prefix[2] !== undefined && prefix[2] === grpcStatusName(Number(prefix[1]))) {
      return message.slice(prefix[0].length);
    }
  }
  return message;
}

/**
 * errorFromStatus turns a status received by a client into an error, never throwing.
 *
 * Like etcd's Go client it matches on the exact message (see {@link statusDetails}). A
 * catalogue message arriving with the class's own code, or with UNKNOWN (which is how a Go
 * server sends an etcd error value that carries no status; etcd 3.4 does so for
 * {@link TooManyRequestsError} and {@link MemberNotEnoughStartedError}), yields an instance of
 * that class, whose `code` is the class's code. Anything else (an unknown message, or a known
 * one under another code) yields a plain {@link EtcdError} with the received code and message;
 * a code outside 0..16 is reported as UNKNOWN.
 */
export function errorFromStatus(status: StatusLike): EtcdError {
  const message = statusDetails(status);
  const cls = CLASS_BY_MESSAGE.get(message);
  if (cls !== undefined && (status.code === cls.code || status.code === GrpcStatus.UNKNOWN)) {
    return new cls();
  }
  const code = isGrpcStatusCode(status.code) ? status.code : GrpcStatus.UNKNOWN;
  return new EtcdError(code, message);
}

/**
 * toStatus gives the status a server sends for `err`: its message as `details` and its code,
 * except that the two catalogue errors etcd 3.4 sends as UNKNOWN ({@link TooManyRequestsError},
 * {@link MemberNotEnoughStartedError}) are sent as UNKNOWN here too, for wire compatibility.
 */
export function toStatus(err: EtcdError): { code: GrpcStatusCode; details: string } {
  const cls = CLASS_BY_MESSAGE.get(err.message);
  if (cls !== undefined && SENT_AS_UNKNOWN.has(cls) && err instanceof cls) {
    return { code: GrpcStatus.UNKNOWN, details: err.message };
  }
  return { code: err.code, details: err.message };
}

/**
 * isEtcdError reports whether `value` is an {@link EtcdError} (a catalogue error or a plain
 * one from {@link errorFromStatus}).
 */
export function isEtcdError(value: unknown): value is EtcdError {
  return value instanceof EtcdError;
}
