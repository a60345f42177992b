/**
 * The status of a gRPC call as the client receives it: the error type the transport raises,
 * and the rules that turn what HTTP/2 delivered (a `grpc-status` trailer, a trailers-only
 * response, an HTTP status, an RST_STREAM code, a lost connection) into a gRPC status.
 *
 * The rules are the gRPC protocol's (PROTOCOL-HTTP2.md and http-grpc-status-mapping.md):
 *  - `grpc-status` / `grpc-message` in the trailers, or in the headers of a trailers-only
 *    response, are the status; `grpc-message` is percent-decoded leniently (a malformed
 *    escape is kept as it is, never an error);
 *  - an HTTP status other than 200 without `grpc-status` maps to a gRPC code (404 is
 *    UNIMPLEMENTED, 429/502/503/504 UNAVAILABLE, ...);
 *  - a stream reset by the peer maps by its code: REFUSED_STREAM is UNAVAILABLE and the
 *    request was never processed (safe to send again anywhere), CANCEL is CANCELLED,
 *    ENHANCE_YOUR_CALM is RESOURCE_EXHAUSTED, others INTERNAL;
 *  - a stream cut by the loss of its connection is UNAVAILABLE.
 *
 * What it does not do: it does not read `grpc-status-details-bin` (etcd sends none the
 * client uses), and it does not map statuses to etcd's error classes (`errorFromStatus` in
 * @etcd-ts/api does, from `code` and `details`).
 */
import { constants } from "node:http2";
import { GrpcStatus, grpcStatusName, isGrpcStatusCode, type GrpcStatusCode } from "@etcd-ts/api";

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

const utf8 = new TextDecoder("utf-8", { fatal: false });

const hexValue = (c: number): number => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1);

/**
 * decodeGrpcMessage percent-decodes a `grpc-message` value. Valid `%XX` escapes become
 * bytes and the result is read as UTF-8 (invalid sequences become U+FFFD); a `%` not
 * followed by two hex digits stays as it is.
 */
export function decodeGrpcMessage(value: string): string {
  if (!value.includes("%")) return value;
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 && i + 2 < value.length) {
      const hi = hexValue(value.charCodeAt(i + 1));
      const lo = hexValue(value.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes.push(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    if (c < 0x80) bytes.push(c);
    else {
      // A raw non-ASCII character (not allowed by the protocol, kept anyway): its UTF-8 bytes.
      const end = c >= 0xd800 && c <= 0xdbff && i + 1 < value.length ? i + 2 : i + 1;
      for (const b of encoder.encode(value.slice(i, end))) bytes.push(b);
      i = end - 1;
    }
  }
  return utf8.decode(new Uint8Array(bytes));
}

/**
 * grpcTimeout formats a remaining time for the `grpc-timeout` header: at most 8 digits and
 * a unit, rounded up so the server never gives up before the client does.
 */
export function grpcTimeout(remainingMs: number): string {
  const ms = Math.max(1, Math.ceil(remainingMs));
  if (ms < 100_000_000) return `${ms}m`;
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 100_000_000) return `${seconds}S`;
  return `${Math.min(99_999_999, Math.ceil(seconds / 3600))}H`;
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
  switch (rstCode) {
    case constants.NGHTTP2_REFUSED_STREAM:
      return new CallError(GrpcStatus.UNAVAILABLE, "stream refused by the server before processing", true);
    case constants.NGHTTP2_CANCEL:
      return new CallError(GrpcStatus.CANCELLED, "stream cancelled by the server");
    case constants.NGHTTP2_ENHANCE_YOUR_CALM:
      return new CallError(GrpcStatus.RESOURCE_EXHAUSTED, "stream reset by the server: ENHANCE_YOUR_CALM");
    case constants.NGHTTP2_INADEQUATE_SECURITY:
      return new CallError(GrpcStatus.PERMISSION_DENIED, "stream reset by the server: INADEQUATE_SECURITY");
    default:
      return new CallError(GrpcStatus.INTERNAL, `stream reset by the server with code ${rstCode} and no status`);
  }
}
