/**
 * What a gRPC call's status is when its HTTP/2 stream was reset (RST_STREAM) before any
 * `grpc-status` arrived: the mapping of PROTOCOL-HTTP2.md ("Errors"), and the HTTP/2 error
 * codes themselves (RFC 9113 §7), as numbers so this package needs no `node:http2`.
 *
 * It does not decide what else a peer does about a reset (whether a request may be sent
 * again, what text to show): that is the caller's.
 */
import { GrpcStatus, type GrpcStatusCode } from "../grpcStatus.js";

/** Http2ErrorCode maps each HTTP/2 error code name to its number (RFC 9113 §7). */
export const Http2ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

/** Http2ErrorCodeName is the name of one HTTP/2 error code, e.g. "REFUSED_STREAM". */
export type Http2ErrorCodeName = keyof typeof Http2ErrorCode;

const NAMES: readonly Http2ErrorCodeName[] = Object.freeze(
  (Object.keys(Http2ErrorCode) as Http2ErrorCodeName[]).reduce<Http2ErrorCodeName[]>((names, name) => {
    names[Http2ErrorCode[name]] = name;
    return names;
  }, []),
);

/** http2ErrorCodeName returns the name of an HTTP/2 error code, or undefined for a number RFC 9113 does not define. */
export function http2ErrorCodeName(code: number): Http2ErrorCodeName | undefined {
  return Number.isInteger(code) && code >= 0 ? NAMES[code] : undefined;
}

/**
 * grpcStatusFromRstCode is the status of a call whose stream the peer reset with `rstCode`
 * and no status: REFUSED_STREAM is UNAVAILABLE (the request was not processed), CANCEL is
 * CANCELLED, ENHANCE_YOUR_CALM is RESOURCE_EXHAUSTED, INADEQUATE_SECURITY is
 * PERMISSION_DENIED, and every other code (NO_ERROR included, and codes no RFC defines) is
 * INTERNAL.
 */
export function grpcStatusFromRstCode(rstCode: number): GrpcStatusCode {
  switch (rstCode) {
    case Http2ErrorCode.REFUSED_STREAM:
      return GrpcStatus.UNAVAILABLE;
    case Http2ErrorCode.CANCEL:
      return GrpcStatus.CANCELLED;
    case Http2ErrorCode.ENHANCE_YOUR_CALM:
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case Http2ErrorCode.INADEQUATE_SECURITY:
      return GrpcStatus.PERMISSION_DENIED;
    default:
      return GrpcStatus.INTERNAL;
  }
}
