/**
 * InternalRequest: what a member proposes through raft — one client write (or a leader's
 * own request, such as a lease revoke) with the ID its proposer waits on.
 *
 * Entry data layout (ours; peers are all etcd-ts):
 *
 *     u8 format (1) | u8 kind | u64 BE request ID | u64 BE auth revision | u16 BE user length
 *     | user (UTF-8) | payload: the request message in @etcd-ts/api's protobuf encoding
 *
 * The user and auth revision are the proposer's authentication, re-checked when applied.
 */
import { etcdserverpb as pb } from "@etcd-ts/api";
import type { MessageCodec } from "@etcd-ts/api";

/** The request kinds: each one's code in the entry data, its request message and the response its proposer gets. */
const KINDS = {
  put: [1, pb.PutRequest, pb.PutResponse],
  deleteRange: [2, pb.DeleteRangeRequest, pb.DeleteRangeResponse],
  txn: [3, pb.TxnRequest, pb.TxnResponse],
  compact: [4, pb.CompactionRequest, pb.CompactionResponse],
  leaseGrant: [5, pb.LeaseGrantRequest, pb.LeaseGrantResponse],
  leaseRevoke: [6, pb.LeaseRevokeRequest, pb.LeaseRevokeResponse],
  leaseCheckpoint: [7, pb.LeaseCheckpointRequest, pb.LeaseCheckpointResponse],
  alarm: [8, pb.AlarmRequest, pb.AlarmResponse],
  authEnable: [20, pb.AuthEnableRequest, pb.AuthEnableResponse],
  authDisable: [21, pb.AuthDisableRequest, pb.AuthDisableResponse],
  // The proposer's password check already passed: `password` carries the simple-token
  // prefix it generated (etcd's InternalAuthenticateRequest.simple_token), never a password.
  authenticate: [22, pb.AuthenticateRequest, pb.AuthenticateResponse],
  userAdd: [23, pb.AuthUserAddRequest, pb.AuthUserAddResponse],
  userDelete: [24, pb.AuthUserDeleteRequest, pb.AuthUserDeleteResponse],
  userChangePassword: [25, pb.AuthUserChangePasswordRequest, pb.AuthUserChangePasswordResponse],
  userGrantRole: [26, pb.AuthUserGrantRoleRequest, pb.AuthUserGrantRoleResponse],
  userGet: [27, pb.AuthUserGetRequest, pb.AuthUserGetResponse],
  userList: [28, pb.AuthUserListRequest, pb.AuthUserListResponse],
  userRevokeRole: [29, pb.AuthUserRevokeRoleRequest, pb.AuthUserRevokeRoleResponse],
  roleAdd: [30, pb.AuthRoleAddRequest, pb.AuthRoleAddResponse],
  roleGet: [31, pb.AuthRoleGetRequest, pb.AuthRoleGetResponse],
  roleList: [32, pb.AuthRoleListRequest, pb.AuthRoleListResponse],
  roleGrantPermission: [33, pb.AuthRoleGrantPermissionRequest, pb.AuthRoleGrantPermissionResponse],
  roleRevokePermission: [34, pb.AuthRoleRevokePermissionRequest, pb.AuthRoleRevokePermissionResponse],
  roleDelete: [35, pb.AuthRoleDeleteRequest, pb.AuthRoleDeleteResponse],
} as const;

type Kinds = typeof KINDS;
/** RequestKind names what a proposal does. */
export type RequestKind = keyof Kinds;
type Payload<K extends RequestKind> = Kinds[K][1] extends MessageCodec<infer T> ? T : never;

/** AuthRequestKind names the auth requests proposed as they came (Authenticate and the password setters are prepared first). */
export type AuthRequestKind = Exclude<
  RequestKind,
  "put" | "deleteRange" | "txn" | "compact" | "leaseGrant" | "leaseRevoke" | "leaseCheckpoint" | "alarm" | "authenticate" | "userAdd" | "userChangePassword"
>;

/** RequestOf is the request message of a kind. */
export type RequestOf<K extends RequestKind> = Payload<K>;

/** ResponseOf is the response a proposal of kind `K` resolves with once applied. */
export type ResponseOf<K extends RequestKind> = Kinds[K][2] extends MessageCodec<infer T> ? T : never;

/** InternalRequest is a decoded proposal. */
export type InternalRequest = {
  [K in RequestKind]: { readonly kind: K; readonly id: bigint; readonly user: string; readonly authRevision: number; readonly request: Payload<K> };
}[RequestKind];

const BY_CODE = new Map<number, [RequestKind, MessageCodec<unknown>]>(
  Object.entries(KINDS).map(([kind, [code, codec]]) => [code, [kind as RequestKind, codec as MessageCodec<unknown>]]),
);

const FORMAT = 1;
const HEAD = 1 + 1 + 8 + 8 + 2;

/** encodeInternalRequest lays a proposal out as entry data. */
export function encodeInternalRequest(request: InternalRequest): Uint8Array {
  const [code, codec] = KINDS[request.kind] as readonly [number, MessageCodec<unknown>, unknown];
  const payload = codec.encode(request.request);
  const user = Buffer.from(request.user, "utf8");
  const out = Buffer.allocUnsafe(HEAD + user.length + payload.length);
  out[0] = FORMAT;
  out[1] = code;
  out.writeBigUInt64BE(request.id, 2);
  out.writeBigUInt64BE(BigInt(request.authRevision), 10);
  out.writeUInt16BE(user.length, 18);
  out.set(user, HEAD);
  out.set(payload, HEAD + user.length);
  return out;
}

/** decodeInternalRequest reads entry data; throws on an unknown format or kind. */
export function decodeInternalRequest(data: Uint8Array): InternalRequest {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < HEAD || buf[0] !== FORMAT) throw new Error(`internal request: unknown format ${buf[0]}`);
  const entry = BY_CODE.get(buf[1]!);
  if (!entry) throw new Error(`internal request: unknown kind ${buf[1]}`);
  const userLength = buf.readUInt16BE(18);
  return {
    kind: entry[0],
    id: buf.readBigUInt64BE(2),
    authRevision: Number(buf.readBigUInt64BE(10)),
    user: buf.toString("utf8", HEAD, HEAD + userLength),
    request: entry[1].decode(data.subarray(HEAD + userLength)),
  } as InternalRequest;
}
