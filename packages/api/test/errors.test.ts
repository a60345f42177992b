/**
 * Tests for the etcd error catalogue and the gRPC status table.
 *
 * The fact tables below are written out independently of src/ (numbers, not GrpcStatus
 * members), from etcd 3.4.23's rpctypes/error.go and, for the 3.5 rows, etcd 3.5.4's.
 */

import { test } from "node:test";
import assert from "node:assert/strict";

import {
  AuthOldRevisionError,
  CompactedError,
  CorruptError,
  DeadlineExceededError,
  EmptyKeyError,
  ETCD_ERRORS,
  EtcdError,
  InvalidAuthTokenError,
  LeaseNotFoundError,
  MemberNotEnoughStartedError,
  NoInflightDowngradeError,
  NoLeaderError,
  NoSpaceError,
  NotLeaderError,
  PermissionDeniedError,
  RequestTimeoutError,
  TooManyRequestsError,
  UserEmptyError,
  WatchCanceledError,
  errorClassForMessage,
  errorFromStatus,
  isEtcdError,
  statusDetails,
  toStatus,
} from "../src/errors.js";
import type { ErrorClass } from "../src/errors.js";
import { GrpcStatus, grpcStatusName, isGrpcStatusCode } from "../src/grpcStatus.js";

/** [class, gRPC code number, exact message], checked by hand against error.go. */
const KNOWN_FACTS: ReadonlyArray<readonly [ErrorClass, number, string]> = [
  [LeaseNotFoundError, 5, "etcdserver: requested lease not found"],
  [CompactedError, 11, "etcdserver: mvcc: required revision has been compacted"],
  [UserEmptyError, 3, "etcdserver: user name is empty"],
  [NoLeaderError, 14, "etcdserver: no leader"],
  [EmptyKeyError, 3, "etcdserver: key is not provided"],
  [InvalidAuthTokenError, 16, "etcdserver: invalid auth token"],
  [CorruptError, 15, "etcdserver: corrupt cluster"],
  [NoSpaceError, 8, "etcdserver: mvcc: database space exceeded"],
  [PermissionDeniedError, 7, "etcdserver: permission denied"],
  [NotLeaderError, 9, "etcdserver: not leader"],
  [WatchCanceledError, 1, "etcdserver: watch canceled"],
  [AuthOldRevisionError, 3, "etcdserver: revision of auth store is old"],
  [RequestTimeoutError, 14, "etcdserver: request timed out"],
  [TooManyRequestsError, 8, "etcdserver: too many requests"],
  [DeadlineExceededError, 4, "etcdserver: context deadline exceeded"],
  [NoInflightDowngradeError, 9, "etcdserver: no inflight downgrade job"],
];

test("gRPC status numbers are the protocol's", () => {
  assert.deepEqual(
    { ...GrpcStatus },
    {
      OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5,
      ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9,
      ABORTED: 10, OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14,
      DATA_LOSS: 15, UNAUTHENTICATED: 16,
    },
  );
  assert.equal(grpcStatusName(14), "UNAVAILABLE");
  assert.equal(grpcStatusName(0), "OK");
  assert.equal(grpcStatusName(17), undefined);
  assert.equal(grpcStatusName(-1), undefined);
  assert.equal(grpcStatusName(2.5), undefined);
  assert.equal(isGrpcStatusCode(16), true);
  assert.equal(isGrpcStatusCode("3"), false);
});

test("known etcd facts: code and exact message per class", () => {
  for (const [cls, code, message] of KNOWN_FACTS) {
    assert.equal(cls.code, code, `${cls.name}.code`);
    assert.equal(cls.message, message, `${cls.name}.message`);
    const err = new cls();
    assert.equal(err.code, code);
    assert.equal(err.message, message);
    assert.ok(ETCD_ERRORS.includes(cls), `${cls.name} is in the catalogue`);
  }
});

test("catalogue: 52 etcd 3.4.23 errors plus 8 etcd 3.5 additions, frozen", () => {
  assert.equal(ETCD_ERRORS.length, 60);
  assert.ok(Object.isFrozen(ETCD_ERRORS));
});

test("catalogue: messages and class names are unique", () => {
  const messages = new Set(ETCD_ERRORS.map((cls) => cls.message));
  assert.equal(messages.size, ETCD_ERRORS.length);
  const names = new Set(ETCD_ERRORS.map((cls) => cls.name));
  assert.equal(names.size, ETCD_ERRORS.length);
});

test("catalogue: every class is well formed", () => {
  for (const cls of ETCD_ERRORS) {
    const cause = new Error("underlying");
    const err = new cls({ cause });
    assert.ok(err instanceof cls);
    assert.ok(err instanceof EtcdError);
    assert.ok(err instanceof Error);
    assert.ok(isEtcdError(err));
    assert.equal(err.name, cls.name);
    assert.match(cls.name, /Error$/);
    assert.equal(err.code, cls.code);
    assert.equal(err.message, cls.message);
    assert.equal(err.cause, cause);
    assert.ok(isGrpcStatusCode(cls.code));
    assert.ok(cls.code !== GrpcStatus.OK && cls.code !== GrpcStatus.UNKNOWN, `${cls.name} code`);
    assert.match(cls.message, /^etcdserver: /);
    assert.equal(errorClassForMessage(cls.message), cls);
  }
});

test("round trip: toStatus then errorFromStatus gives back the same class", () => {
  for (const cls of ETCD_ERRORS) {
    const status = toStatus(new cls());
    assert.equal(status.details, cls.message);
    const back = errorFromStatus(status);
    assert.equal(back.constructor, cls, cls.name);
    assert.equal(back.code, cls.code);
    assert.equal(back.message, cls.message);
  }
});

test("toStatus sends what etcd 3.4 sends, including its two UNKNOWN cases", () => {
  assert.deepEqual(toStatus(new LeaseNotFoundError()), {
    code: 5,
    details: "etcdserver: requested lease not found",
  });
  assert.deepEqual(toStatus(new TooManyRequestsError()), {
    code: 2,
    details: "etcdserver: too many requests",
  });
  assert.deepEqual(toStatus(new MemberNotEnoughStartedError()), {
    code: 2,
    details: "etcdserver: re-configuration failed due to not enough started members",
  });
  assert.deepEqual(toStatus(new EtcdError(13, "boom")), { code: 13, details: "boom" });
});

test("errorFromStatus: catalogue message under UNKNOWN still maps (grpc-go's code for status-less errors)", () => {
  const err = errorFromStatus({ code: 2, details: "etcdserver: too many requests" });
  assert.ok(err instanceof TooManyRequestsError);
  assert.equal(err.code, 8);
  const same = errorFromStatus({ code: 8, details: "etcdserver: too many requests" });
  assert.ok(same instanceof TooManyRequestsError);
});

test("errorFromStatus: unknown message gives a plain EtcdError with the given code", () => {
  const err = errorFromStatus({ code: 13, details: "something else entirely" });
  assert.equal(err.constructor, EtcdError);
  assert.equal(err.name, "EtcdError");
  assert.equal(err.code, 13);
  assert.equal(err.message, "something else entirely");
  // The server's internal texts are not client-facing messages.
  const raw = errorFromStatus({ code: 2, details: "mvcc: required revision has been compacted" });
  assert.equal(raw.constructor, EtcdError);
  assert.equal(raw.code, 2);
});

test("errorFromStatus: known message under another code gives a plain EtcdError", () => {
  const err = errorFromStatus({ code: 9, details: "etcdserver: no leader" });
  assert.equal(err.constructor, EtcdError);
  assert.equal(err.code, 9);
  assert.equal(err.message, "etcdserver: no leader");
});

test("errorFromStatus: out-of-range code becomes UNKNOWN, and it never throws", () => {
  const err = errorFromStatus({ code: 99, details: "weird" });
  assert.equal(err.code, 2);
  assert.equal(err.message, "weird");
  assert.equal(errorFromStatus({ code: 14 }).message, "");
  assert.doesNotThrow(() => errorFromStatus({ code: Number.NaN, details: "x" }));
});

test("statusDetails: prefers details, else strips grpc-js's message prefix", () => {
  assert.equal(statusDetails({ code: 3, details: "d", message: "3 INVALID_ARGUMENT: m" }), "d");
  assert.equal(
    statusDetails({ code: 3, details: "", message: "3 INVALID_ARGUMENT: etcdserver: key is not provided" }),
    "etcdserver: key is not provided",
  );
  assert.equal(
    statusDetails({ code: 14, message: "14 UNAVAILABLE: etcdserver: request timed out, possibly due to connection lost" }),
    "etcdserver: request timed out, possibly due to connection lost",
  );
  // Only a well-formed prefix is removed: the name must be the code's own.
  assert.equal(statusDetails({ code: 5, message: "5 INVALID_ARGUMENT: x" }), "5 INVALID_ARGUMENT: x");
  assert.equal(statusDetails({ code: 2, message: "plain text" }), "plain text");
  assert.equal(statusDetails({ code: 2 }), "");
});

test("errorFromStatus accepts a grpc-js ServiceError-shaped object", () => {
  const serviceError = Object.assign(new Error("11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted"), {
    code: 11,
    details: "etcdserver: mvcc: required revision has been compacted",
    metadata: {},
  });
  assert.ok(errorFromStatus(serviceError) instanceof CompactedError);
  const messageOnly = { code: 7, message: "7 PERMISSION_DENIED: etcdserver: permission denied" };
  assert.ok(errorFromStatus(messageOnly) instanceof PermissionDeniedError);
});

test("isEtcdError rejects non-etcd values", () => {
  assert.equal(isEtcdError(new Error("etcdserver: no leader")), false);
  assert.equal(isEtcdError({ code: 14, message: "etcdserver: no leader" }), false);
  assert.equal(isEtcdError(undefined), false);
  assert.equal(isEtcdError(new EtcdError(14, "x")), true);
});
