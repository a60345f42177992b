// InternalRequest: the entry data of a proposal round-trips for every kind (the kind, the
// proposer's request ID, user and auth revision, the request message), and data of an
// unknown format or kind is refused rather than misread.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { authpb, etcdserverpb as pb } from "@etcd-ts/api";
import { decodeInternalRequest, encodeInternalRequest, type InternalRequest } from "../src/etcdserver/InternalRequest.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** One request of each kind, with some fields set. */
const SAMPLES: readonly Omit<InternalRequest, "id" | "user" | "authRevision">[] = [
  { kind: "put", request: pb.PutRequest.create({ key: bytes("k"), value: bytes("v"), lease: 7n, prevKv: true }) },
  { kind: "deleteRange", request: pb.DeleteRangeRequest.create({ key: bytes("a"), rangeEnd: bytes("b") }) },
  { kind: "txn", request: pb.TxnRequest.create({ success: [{ request: { $case: "requestPut", requestPut: { key: bytes("x"), value: bytes("y") } } }] }) },
  { kind: "compact", request: pb.CompactionRequest.create({ revision: 12, physical: true }) },
  { kind: "leaseGrant", request: pb.LeaseGrantRequest.create({ ID: 5n, TTL: 60 }) },
  { kind: "leaseRevoke", request: pb.LeaseRevokeRequest.create({ ID: 5n }) },
  { kind: "leaseCheckpoint", request: pb.LeaseCheckpointRequest.create({ checkpoints: [{ ID: 5n, remainingTTL: 30 }] }) },
  { kind: "alarm", request: pb.AlarmRequest.create({ action: pb.AlarmRequest_AlarmAction.ACTIVATE, memberID: 3n, alarm: pb.AlarmType.NOSPACE }) },
  { kind: "authEnable", request: pb.AuthEnableRequest.create({}) },
  { kind: "authDisable", request: pb.AuthDisableRequest.create({}) },
  { kind: "authenticate", request: pb.AuthenticateRequest.create({ name: "root", password: "prefix" }) },
  { kind: "userAdd", request: pb.AuthUserAddRequest.create({ name: "u", hashedPassword: "$2a$" }) },
  { kind: "userDelete", request: pb.AuthUserDeleteRequest.create({ name: "u" }) },
  { kind: "userChangePassword", request: pb.AuthUserChangePasswordRequest.create({ name: "u", hashedPassword: "$2a$" }) },
  { kind: "userGrantRole", request: pb.AuthUserGrantRoleRequest.create({ user: "u", role: "r" }) },
  { kind: "userGet", request: pb.AuthUserGetRequest.create({ name: "u" }) },
  { kind: "userList", request: pb.AuthUserListRequest.create({}) },
  { kind: "userRevokeRole", request: pb.AuthUserRevokeRoleRequest.create({ name: "u", role: "r" }) },
  { kind: "roleAdd", request: pb.AuthRoleAddRequest.create({ name: "r" }) },
  { kind: "roleGet", request: pb.AuthRoleGetRequest.create({ role: "r" }) },
  { kind: "roleList", request: pb.AuthRoleListRequest.create({}) },
  { kind: "roleGrantPermission", request: pb.AuthRoleGrantPermissionRequest.create({ name: "r", perm: { permType: authpb.Permission_Type.READWRITE, key: bytes("a") } }) },
  { kind: "roleRevokePermission", request: pb.AuthRoleRevokePermissionRequest.create({ role: "r", key: bytes("a") }) },
  { kind: "roleDelete", request: pb.AuthRoleDeleteRequest.create({ role: "r" }) },
];

test("every kind round-trips with any request ID, user and auth revision", () => {
  fc.assert(
    fc.property(fc.constantFrom(...SAMPLES), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.string({ maxLength: 40 }), fc.nat(), (sample, id, user, authRevision) => {
      const request = { ...sample, id, user, authRevision } as InternalRequest;
      const data = encodeInternalRequest(request);
      const decoded = decodeInternalRequest(data);
      assert.deepEqual([decoded.kind, decoded.id, decoded.user, decoded.authRevision], [request.kind, id, user, authRevision]);
      // The message itself: decoded byte fields are Buffers, so compare its encoding.
      assert.deepEqual(encodeInternalRequest(decoded), data);
    }),
  );
});

test("data of an unknown format or kind, or too short, is refused", () => {
  const good = encodeInternalRequest({ kind: "put", id: 1n, user: "", authRevision: 0, request: pb.PutRequest.create({ key: bytes("k") }) });
  const wrongFormat = Uint8Array.from(good);
  wrongFormat[0] = 2;
  assert.throws(() => decodeInternalRequest(wrongFormat), /unknown format/);
  const wrongKind = Uint8Array.from(good);
  wrongKind[1] = 99;
  assert.throws(() => decodeInternalRequest(wrongKind), /unknown kind/);
  assert.throws(() => decodeInternalRequest(good.subarray(0, 5)), /unknown format/);
});
