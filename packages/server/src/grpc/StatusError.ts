/**
 * StatusError: a gRPC status raised by the server's transport itself (size limits, unknown
 * methods, malformed frames). Handlers raise @etcd-ts/api's EtcdError classes instead; both
 * become the call's status.
 */
import { isEtcdError, GrpcStatus, type GrpcStatusCode } from "@etcd-ts/api";

/** StatusError carries a gRPC status code and message. */
export class StatusError extends Error {
  override name = "StatusError";
  constructor(
    readonly code: GrpcStatusCode,
    message: string,
  ) {
    super(message);
  }
}

/** toGrpcStatus turns anything a handler threw into the status to send, as grpc-go does. */
export function toGrpcStatus(error: unknown): { code: GrpcStatusCode; message: string } {
  if (error instanceof StatusError || isEtcdError(error)) return { code: error.code, message: error.message };
  // Lower layers' errors that know their client-facing form (mvcc's MvccError).
  const convertible = error as { toApiError?: () => unknown } | undefined;
  if (typeof convertible?.toApiError === "function") return toGrpcStatus(convertible.toApiError());
  // Not a status: grpc-go sends such errors as Unknown with their text.
  return { code: GrpcStatus.UNKNOWN, message: error instanceof Error ? error.message : String(error) };
}
