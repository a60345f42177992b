/**
 * @etcd-ts/api — etcd's v3 wire API for TypeScript.
 *
 * - Message types and codecs for `etcdserverpb`, `mvccpb`, `authpb`, `v3lockpb`,
 *   `v3electionpb` and `grpc.health.v1`, generated from our .proto files (`proto/`), and
 *   service definitions usable with @grpc/grpc-js as they are.
 * - etcd's error catalogue: every client-facing error as a class, mapped both ways to a
 *   gRPC status.
 * - The versions we report.
 *
 * It has no runtime dependencies and no I/O.
 *
 * @packageDocumentation
 */
export * as etcdserverpb from "./generated/etcdserverpb.js";
export * as mvccpb from "./generated/mvccpb.js";
export * as authpb from "./generated/authpb.js";
export * as v3lockpb from "./generated/v3lockpb.js";
export * as v3electionpb from "./generated/v3electionpb.js";
export * as health from "./generated/grpc.health.v1.js";
export { ProtoReader, ProtoDecodeError, MAX_MESSAGE_DEPTH } from "./wire/ProtoReader.js";
export { ProtoWriter, WireType } from "./wire/ProtoWriter.js";
export { EMPTY_BYTES, asBuffer, method } from "./wire/codec.js";
export type { MessageCodec, MethodDefinition, PartialMessage } from "./wire/codec.js";
export * from "./grpcStatus.js";
export * from "./errors.js";
export * from "./version.js";
