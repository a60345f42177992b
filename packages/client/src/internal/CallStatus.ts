/**
 * The status of a gRPC call as the client receives it: the error type the transport raises,
 * and the rules that turn what HTTP/2 delivered (a `grpc-status` trailer, a trailers-only
 * response, an HTTP status, an RST_STREAM code, a lost connection) into a gRPC status.
 *
 * The rules are the gRPC protocol's (PROTOCOL-HTTP2.md and http-grpc-status-mapping.md):
 *  - `grpc-status` / `grpc-message` in the trailers, or in the headers of a trailers-only
 *    response, are the status; `grpc-message` is percent-decoded leniently by
 *    @etcd-ts/api's `decodeGrpcMessage` (a malformed escape is kept as it is, never an error);
 *  - an HTTP status other than 200 without `grpc-status` maps to a gRPC code (404 is
 *    UNIMPLEMENTED, 429/502/503/504 UNAVAILABLE, ...);
 *  - a stream reset by the peer maps by its code, with @etcd-ts/api's
 *    `grpcStatusFromRstCode`: REFUSED_STREAM is UNAVAILABLE and the request was never
 *    processed (safe to send again anywhere), CANCEL is CANCELLED, ENHANCE_YOUR_CALM is
 *    RESOURCE_EXHAUSTED, INADEQUATE_SECURITY is PERMISSION_DENIED, others INTERNAL;
 *  - a stream cut by the loss of its connection is UNAVAILABLE.
 *
 * What it does not do: it does not read `grpc-status-details-bin` (etcd sends none the
 * client uses), and it does not map statuses to etcd's error classes (`errorFromStatus` in
 * @etcd-ts/api does, from `code` and `details`).
 */
import { GrpcStatus, Http2ErrorCode, grpcStatusFromRstCode, grpcStatusName, http2ErrorCodeName, isGrpcStatusCode, type GrpcStatusCode } from "@etcd-ts/api";

/**
 * CallError is a call that ended with a status other than OK, as `errorFromStatus` reads
 * it: `code` and the server's text in `details`. `notSent` is true when the request
 * certainly did not reach a server's handler (no connection, or a refused stream), so
 * even a write may be sent again.
 */
export class CallError extends Error {
  override readonly name = "CallError";
  constructor(
    readonly code: GrpcStatusCode,
    readonly details: string,
    readonly notSent = false,
  ) {
    super(`${code} ${grpcStatusName(code)}: ${details}`);
  }
}

/** parseGrpcStatus reads a `grpc-status` value; anything but an integer 0..16 is UNKNOWN. */
export function parseGrpcStatus(value: string): GrpcStatusCode {
  const code = Number(value);
  return isGrpcStatusCode(code) ? code : GrpcStatus.UNKNOWN;
}

/** statusFromHttpStatus maps an HTTP status of a response without `grpc-status` to a gRPC code. */
export function statusFromHttpStatus(httpStatus: number): GrpcStatusCode {
  switch (httpStatus) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}

/** errorFromReset is the status of a stream the peer reset with `rstCode` before any status. */
export function errorFromReset(rstCode: number): CallError {
  const code = grpcStatusFromRstCode(rstCode);
  if (rstCode === Http2ErrorCode.REFUSED_STREAM) return new CallError(code, "stream refused by the server before processing", true);
  if (rstCode === Http2ErrorCode.CANCEL) return new CallError(code, "stream cancelled by the server");
  if (code !== GrpcStatus.INTERNAL) return new CallError(code, `stream reset by the server: ${http2ErrorCodeName(rstCode)}`);
  return new CallError(code, `stream reset by the server with code ${rstCode} and no status`);
}
