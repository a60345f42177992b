/**
 * @etcd-ts/client — a typed etcd v3 client: KV, Watch, Lease, Auth, Cluster and Maintenance,
 * with endpoint failover, safe retries, per-call timeouts and abort signals, and namespaces.
 *
 * Service registration and discovery, with a grpc-js resolver, is the `@etcd-ts/client/naming`
 * subpath. Locks, elections and STM are in `@etcd-ts/concurrency`.
 *
 * Errors are typed: etcd's own (`CompactedError`, `LeaseNotFoundError`, ... from
 * `@etcd-ts/api`, re-exported here) and the client's (`UnknownOutcomeError`,
 * `WatchCompactedError`, ...).
 *
 * @packageDocumentation
 */
export { Client } from "./Client.js";
export type { ChannelClientOptions, ClientOptions } from "./Client.js";
export { ChannelStatusError, isChannelStatus } from "./Channel.js";
export type { Channel, ChannelCallOptions, ChannelMetadata, ChannelStatus, ChannelStream, ChannelStreamHandlers } from "./Channel.js";
export { Namespace } from "./Namespace.js";
export { KV } from "./KV.js";
export type {
  CompactResponse,
  DeleteOptions,
  DeleteResponse,
  GetOptions,
  GetResponse,
  KeyValue,
  PutOptions,
  PutResponse,
  ResponseHeader,
  SortOrder,
  SortTarget,
} from "./kvTypes.js";
export { Compare, Op, Txn } from "./Txn.js";
export type { CompareOperator, CompareRange, CompareTarget, OpResult, TxnResponse } from "./Txn.js";
export { Watch, Watcher } from "./Watch.js";
export type { WatchEvent, WatchOptions, WatchResponse } from "./Watch.js";
export { Lease, LeaseKeepAlive } from "./Lease.js";
export type { KeepAliveOptions, LeaseGrantResponse, LeaseKeepAliveResponse, LeaseTimeToLiveResponse } from "./Lease.js";
export { Auth } from "./Auth.js";
export type { PermissionType } from "./Auth.js";
export { Cluster } from "./Cluster.js";
export type { Member } from "./Cluster.js";
export { Maintenance } from "./Maintenance.js";
export type { AlarmType, EndpointOptions } from "./Maintenance.js";
export type { CallOptions } from "./internal/Transport.js";
export type { TlsOptions } from "./internal/ConnectionOptions.js";
export type { RangeSpec } from "./internal/KeySpace.js";
export { ZERO_BYTE, compareBytes, json, prefixEnd, text, toBytes } from "./keys.js";
export type { Bytes } from "./keys.js";
export {
  CallTimeoutError,
  ClientClosedError,
  LeaseExpiredError,
  NoEndpointAvailableError,
  UnknownOutcomeError,
  WatchCompactedError,
} from "./errors.js";
// etcd's own errors most callers test for; the whole catalogue is in @etcd-ts/api.
export {
  AuthFailedError,
  AuthNotEnabledError,
  CompactedError,
  DuplicateKeyError,
  EmptyKeyError,
  EtcdError,
  FutureRevError,
  InvalidAuthTokenError,
  KeyNotFoundError,
  LeaseNotFoundError,
  NoLeaderError,
  NoSpaceError,
  PermissionDeniedError,
  RequestTooLargeError,
  TooManyOpsError,
  WatchCanceledError,
  errorFromStatus,
  isEtcdError,
} from "@etcd-ts/api";
