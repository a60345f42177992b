/**
 * @etcd-ts/api — etcd's v3 wire API for TypeScript.
 *
 * - Message types and codecs for `etcdserverpb`, `mvccpb`, `authpb`, `v3lockpb`,
 *   `v3electionpb` and `grpc.health.v1`, generated from our .proto files (`proto/`), and
 *   service definitions usable with @grpc/grpc-js as they are.
 * - etcd's error catalogue: every client-facing error as a class, mapped both ways to a
 *   gRPC status.
 * - The versions we report.
 * - gRPC's wire rules over HTTP/2, for peers that speak it without a gRPC library (our
 *   server, client, load generator and test probes): message framing and deframing with one
 *   policy for oversized, compressed and truncated messages, the `grpc-message` and
 *   `grpc-timeout` codecs, and the status of a stream reset without one.
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
export { GRPC_FRAME_HEADER_SIZE, GRPC_MAX_FRAME_LENGTH, encodeFrame, frameMessage, framePrefix } from "./grpc/GrpcFrame.js";
export { GrpcDeframer } from "./grpc/GrpcDeframer.js";
export type { GrpcWireStatus } from "./grpc/GrpcDeframer.js";
export { decodeGrpcMessage, encodeGrpcMessage } from "./grpc/grpcMessage.js";
export { GRPC_TIMEOUT_MAX_DIGITS, formatGrpcTimeout, parseGrpcTimeout } from "./grpc/grpcTimeout.js";
export { Http2ErrorCode, grpcStatusFromRstCode, http2ErrorCodeName } from "./grpc/rstStream.js";
export type { Http2ErrorCodeName } from "./grpc/rstStream.js";
export * from "./errors.js";
export * from "./version.js";
