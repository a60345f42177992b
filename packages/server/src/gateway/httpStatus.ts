/**
 * The HTTP status etcd 3.4's gateway answers each gRPC code with: grpc-gateway v1's
 * `runtime.HTTPStatusFromCode` (FailedPrecondition is 412 there, not v2's 400), and Go's
 * `http.StatusText` for the streaming error's `http_status`.
 */
import { GrpcStatus } from "@etcd-ts/api";

const BY_CODE: Readonly<Record<number, number>> = {
  [GrpcStatus.OK]: 200,
  [GrpcStatus.CANCELLED]: 408,
  [GrpcStatus.UNKNOWN]: 500,
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.DEADLINE_EXCEEDED]: 504,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.ALREADY_EXISTS]: 409,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.UNAUTHENTICATED]: 401,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  [GrpcStatus.FAILED_PRECONDITION]: 412,
  [GrpcStatus.ABORTED]: 409,
  [GrpcStatus.OUT_OF_RANGE]: 400,
  [GrpcStatus.UNIMPLEMENTED]: 501,
  [GrpcStatus.INTERNAL]: 500,
  [GrpcStatus.UNAVAILABLE]: 503,
  [GrpcStatus.DATA_LOSS]: 500,
};

/**
 * httpStatusFromCode maps a gRPC status code (one of `GrpcStatus`, or any number off the wire)
 * to the gateway's HTTP status (500 if unknown).
 */
export function httpStatusFromCode(code: number): number {
  return BY_CODE[code] ?? 500;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  409: "Conflict",
  412: "Precondition Failed",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** statusText is Go's http.StatusText for the statuses above. */
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? "";
}
