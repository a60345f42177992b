/**
 * gRPC status codes, as numbers, without a gRPC library.
 *
 * This package is the bottom layer and takes no runtime dependencies, so it cannot use
 * `@grpc/grpc-js`'s `Status` enum; this module carries the same numbers (they are fixed by
 * the gRPC protocol, `grpc-status` trailer values 0..16) and their canonical upper-case
 * names, which are also the names grpc-js prints in its error messages.
 *
 * It does not send, receive or interpret statuses; see `errors.ts` for etcd's meanings.
 */

/**
 * GrpcStatus maps each canonical gRPC status name to its wire number. The names match
 * grpc-js's `Status` enum member for member, so values are interchangeable with it.
 */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** GrpcStatusCode is one of the seventeen gRPC status numbers, 0 through 16. */
export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];

/** GrpcStatusName is one of the canonical gRPC status names, e.g. "INVALID_ARGUMENT". */
export type GrpcStatusName = keyof typeof GrpcStatus;

/** Status names indexed by their number; built once from {@link GrpcStatus}. */
const NAMES: readonly GrpcStatusName[] = (() => {
  const names: GrpcStatusName[] = [];
  for (const name of Object.keys(GrpcStatus) as GrpcStatusName[]) {
    names[GrpcStatus[name]] = name;
  }
  return Object.freeze(names);
})();

/**
 * isGrpcStatusCode reports whether `value` is a gRPC status number (an integer 0..16), so a
 * number read off the wire or from another library can be narrowed to {@link GrpcStatusCode}.
 */
export function isGrpcStatusCode(value: unknown): value is GrpcStatusCode {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value < NAMES.length;
}

/**
 * grpcStatusName returns the canonical name of a status number ("UNAVAILABLE" for 14), or
 * undefined when the number is not a gRPC status.
 */
export function grpcStatusName(code: GrpcStatusCode): GrpcStatusName;
export function grpcStatusName(code: number): GrpcStatusName | undefined;
export function grpcStatusName(code: number): GrpcStatusName | undefined {
  return isGrpcStatusCode(code) ? NAMES[code] : undefined;
}
