/**
 * StreamCall: a streaming gRPC call (bidi, or server-streaming: write one request, then end),
 * handed to its owner as a {@link Call} and reporting to its {@link CallHandlers}.
 */
import type * as http2 from "node:http2";
import { encodeFrame, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";
import type { CallError } from "./CallStatus.js";
import { GrpcCall } from "./GrpcCall.js";
import type { Session } from "./Session.js";

/** CallHandlers receive a call's responses and its end. */
export interface CallHandlers<Res> {
  /** onMessage receives each response, in order. */
  onMessage(message: Res): void;
  /** onEnd runs once: `undefined` for status OK, else the error. Not after `cancel()`. */
  onEnd(error: CallError | undefined): void;
}

/** Call is an open call: the request side of a stream. */
export interface Call<Req> {
  /** write sends one request message (ignored once the call ended). */
  write(message: PartialMessage<Req>): void;
  /** end half-closes: no more requests. */
  end(): void;
  /** cancel resets the stream (RST_STREAM CANCEL); the handlers hear nothing more. */
  cancel(): void;
  /** pause stops reading responses (HTTP/2 flow control then holds the server back). */
  pause(): void;
  /** resume reads responses again after `pause()`. */
  resume(): void;
}

/** A streaming call, reporting to its handlers. */
export class StreamCall<Req, Res> extends GrpcCall<Req, Res> implements Call<Req> {
  constructor(
    session: Session,
    method: MethodDefinition<Req, Res>,
    headers: http2.OutgoingHttpHeaders,
    private readonly handlers: CallHandlers<Res>,
  ) {
    super(session, method, headers);
  }

  write(message: PartialMessage<Req>): void {
    if (this.finished || this.stream.writableEnded || this.stream.destroyed) return;
    this.stream.write(encodeFrame(this.method.requestType, message));
  }

  end(): void {
    if (!this.stream.writableEnded && !this.stream.destroyed) this.stream.end();
  }

  cancel(): void {
    this.cancelStream();
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  protected received(message: Res): void {
    this.handlers.onMessage(message);
  }

  protected ended(error: CallError | undefined): void {
    this.handlers.onEnd(error);
  }
}
