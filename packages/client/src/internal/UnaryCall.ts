/**
 * UnaryCall: a unary gRPC call (one request, one response) settled into a promise; more or
 * fewer than one response message with status OK is INTERNAL.
 */
import type * as http2 from "node:http2";
import { GrpcStatus, type MethodDefinition } from "@etcd-ts/api";
import { CallError } from "./CallStatus.js";
import { GrpcCall } from "./GrpcCall.js";
import type { Session } from "./Session.js";

/** A unary call: one request, one response, settled into a promise. */
export class UnaryCall<Req, Res> extends GrpcCall<Req, Res> {
  private response: Res | undefined;
  private responses = 0;

  constructor(
    session: Session,
    method: MethodDefinition<Req, Res>,
    headers: http2.OutgoingHttpHeaders,
    private readonly resolve: (res: Res) => void,
    private readonly reject: (err: CallError) => void,
  ) {
    super(session, method, headers);
  }

  /** send sends the one request frame and half-closes (unless the call already ended, e.g. aborted). */
  send(frame: Buffer): void {
    if (!this.finished) this.stream.end(frame);
  }

  protected received(message: Res): void {
    this.response = message;
    this.responses++;
  }

  protected ended(error: CallError | undefined): void {
    if (error !== undefined) this.reject(error);
    else if (this.responses === 1) this.resolve(this.response as Res);
    else this.reject(new CallError(GrpcStatus.INTERNAL, `${this.responses} response messages to a unary call`));
  }
}
