/**
 * GrpcCall: one gRPC call in flight on a session, over node:http2 with @etcd-ts/api's codecs
 * (no gRPC library). The unary and streaming kinds (`UnaryCall.ts`, `StreamCall.ts`) say
 * what becomes of its responses and of its end.
 *
 * A call is one HTTP/2 stream: a HEADERS frame (`:method POST`, `:path` the method,
 * `content-type: application/grpc`, `te: trailers`, `grpc-timeout` when the call has a
 * deadline, and the call's metadata such as the auth `token`), the length-prefixed request
 * messages, then the response messages and a status in the trailers (or in the headers
 * alone: a trailers-only response). See `CallStatus.ts` for how every way a stream can end
 * becomes a status. Framing, the `grpc-message` and `grpc-timeout` codecs and the policy for
 * oversized, compressed and truncated responses are @etcd-ts/api's gRPC wire rules, shared
 * with the server.
 *
 * A call ends exactly once, through `ended`, unless its owner cancels it (RST_STREAM
 * CANCEL; nothing is reported then). A deadline ends it with DEADLINE_EXCEEDED and an abort
 * signal with CANCELLED, both resetting the stream. Retry and failover are not its business.
 */
import * as http2 from "node:http2";
import { GrpcDeframer, GrpcStatus, decodeGrpcMessage, type GrpcStatusCode, type MethodDefinition } from "@etcd-ts/api";
import { CallError, errorFromReset, parseGrpcStatus, statusFromHttpStatus } from "./CallStatus.js";
import type { Session } from "./Session.js";

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM } = http2.constants;

/** MAX_RECEIVE_MESSAGE_SIZE is the largest response message accepted: etcd's client default (math.MaxInt32). */
export const MAX_RECEIVE_MESSAGE_SIZE = 2 ** 31 - 1;

/** The call a stream belongs to, kept on the stream so that one set of listeners serves every call. */
const CALL = Symbol("etcd-ts.call");
type CallStream = http2.ClientHttp2Stream & { [CALL]: GrpcCall<unknown, unknown> };

function onStreamResponse(this: CallStream, headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void {
  this[CALL].onHeaders(headers);
}
function onStreamTrailers(this: CallStream, headers: http2.IncomingHttpHeaders): void {
  this[CALL].onTrailers(headers);
}
function onStreamData(this: CallStream, chunk: Buffer): void {
  this[CALL].onData(chunk);
}
function onStreamError(): void {
  // Reported through 'close', where the status is settled.
}
function onStreamClose(this: CallStream): void {
  this[CALL].onClose();
}

/**
 * One call in flight on a session: frames out, messages and status in. Subclasses say what
 * becomes of the responses (`received`) and of the end (`ended`, once).
 */
export abstract class GrpcCall<Req, Res> {
  protected finished = false;
  /** The response messages, cut out of the DATA chunks. */
  private readonly deframer = new GrpcDeframer((bytes) => this.onFrame(bytes), MAX_RECEIVE_MESSAGE_SIZE);
  private status: GrpcStatusCode | undefined;
  private details = "";
  private httpStatus = 200;
  private timer: NodeJS.Timeout | undefined;
  private onAbort: (() => void) | undefined;
  private signal: AbortSignal | undefined;
  protected readonly stream: http2.ClientHttp2Stream;

  constructor(
    private readonly session: Session,
    protected readonly method: MethodDefinition<Req, Res>,
    headers: http2.OutgoingHttpHeaders,
  ) {
    const stream = session.h2.request(headers, { endStream: false }) as CallStream;
    this.stream = stream;
    stream[CALL] = this;
    session.callStarted();
    stream.on("response", onStreamResponse);
    stream.on("trailers", onStreamTrailers);
    stream.on("data", onStreamData);
    stream.on("error", onStreamError);
    stream.on("close", onStreamClose);
  }

  /** received takes one decoded response. */
  protected abstract received(message: Res): void;
  /** ended takes the end of the call: `undefined` for status OK. */
  protected abstract ended(error: CallError | undefined): void;

  /** bound arms the deadline (epoch ms, Infinity: none) and the abort signal. */
  bound(deadline: number, signal: AbortSignal | undefined): void {
    if (deadline !== Infinity) {
      this.timer = setTimeout(() => this.fail(new CallError(GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded")), Math.max(0, deadline - Date.now()));
    }
    if (signal !== undefined) {
      if (signal.aborted) {
        this.fail(new CallError(GrpcStatus.CANCELLED, "call aborted"));
        return;
      }
      this.signal = signal;
      this.onAbort = () => this.fail(new CallError(GrpcStatus.CANCELLED, "call aborted"));
      signal.addEventListener("abort", this.onAbort, { once: true });
    }
  }

  /** id is the HTTP/2 stream ID (0 until assigned). */
  get id(): number {
    return this.stream.id ?? 0;
  }

  /** cancelStream resets the stream (RST_STREAM CANCEL) without telling the subclass. */
  protected cancelStream(): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanup();
    this.reset();
  }

  private reset(): void {
    if (!this.stream.closed && !this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
  }

  private cleanup(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.onAbort !== undefined) this.signal?.removeEventListener("abort", this.onAbort);
  }

  private finish(error: CallError | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanup();
    this.ended(error);
  }

  /** fail ends the call from this side (deadline, abort, bad response) and resets the stream. */
  private fail(error: CallError): void {
    if (this.finished) return;
    this.finish(error);
    this.reset();
  }

  onHeaders(headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void {
    this.httpStatus = headers[":status"] ?? 200;
    // A trailers-only response: the status is in the headers.
    if (headers["grpc-status"] !== undefined) this.onTrailers(headers);
  }

  onTrailers(headers: http2.IncomingHttpHeaders): void {
    const status = headers["grpc-status"];
    if (typeof status !== "string") return;
    this.status = parseGrpcStatus(status);
    const message = headers["grpc-message"];
    this.details = typeof message === "string" ? decodeGrpcMessage(message) : "";
  }

  onData(chunk: Buffer): void {
    this.session.activity++;
    if (this.finished) return;
    // A refused frame (above the size limit, or compressed): the rest of the stream cannot be read.
    const refused = this.deframer.push(chunk);
    if (refused !== undefined) this.fail(new CallError(refused.code, refused.message));
  }

  private onFrame(bytes: Uint8Array): void {
    if (this.finished) return;
    let message: Res;
    try {
      message = this.method.responseType.decode(bytes);
    } catch (err) {
      this.fail(new CallError(GrpcStatus.INTERNAL, `cannot decode ${this.method.responseType.typeName}: ${(err as Error).message}`));
      return;
    }
    this.received(message);
  }

  onClose(): void {
    this.session.callEnded();
    if (this.finished) return;
    const stream = this.stream;
    if (this.status !== undefined) {
      // OK, but cut in the middle of a message: the deframer's INTERNAL "unexpected EOF".
      const truncated = this.status === GrpcStatus.OK ? this.deframer.end() : undefined;
      if (this.status !== GrpcStatus.OK) this.finish(new CallError(this.status, this.details));
      else if (truncated !== undefined) this.finish(new CallError(truncated.code, truncated.message));
      else this.finish(undefined);
    } else if (this.httpStatus !== 200) {
      this.finish(new CallError(statusFromHttpStatus(this.httpStatus), `unexpected HTTP status ${this.httpStatus}`));
    } else if (stream.rstCode === NGHTTP2_REFUSED_STREAM || (stream.id ?? 0) > this.session.refusedAbove) {
      this.finish(new CallError(GrpcStatus.UNAVAILABLE, `stream refused: ${this.session.lostReason ?? "the server did not process it"}`, true));
    } else if (this.session.h2.destroyed) {
      this.finish(new CallError(GrpcStatus.UNAVAILABLE, `connection lost: ${this.session.lostReason ?? "closed"}`));
    } else {
      this.finish(errorFromReset(stream.rstCode ?? http2.constants.NGHTTP2_INTERNAL_ERROR));
    }
  }
}
