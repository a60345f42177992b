/**
 * grpcCall: one gRPC call with node's own HTTP/2 client and raw request bytes — what a
 * broken or hostile client sends — and what came back: the gRPC status (trailers or
 * trailers-only), the number of response DATA chunks, the RST_STREAM code, and whether the
 * stream was still open when the test gave up waiting. Used side by side against the real
 * etcd and ours.
 */
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from "node:http2";
import { GrpcDeframer, decodeGrpcMessage, framePrefix } from "@etcd-ts/api";

/** CallOutcome is what a client observed of one call. */
export interface CallOutcome {
  /** grpc-status, as a number; undefined when none arrived. */
  readonly status: number | undefined;
  /** grpc-message, percent-decoded ("" when the header is absent or empty). */
  readonly message: string;
  /** responseData: whether any response DATA arrived. */
  readonly responseData: boolean;
  /** rstCode of the stream when it closed (0: NO_ERROR or a clean end). */
  readonly rstCode: number | undefined;
  /** open: the stream was still open after `waitMs` (the client then cancelled it). */
  readonly open: boolean;
  /** sessionError: the connection failed (GOAWAY with an error, socket error). */
  readonly sessionError: string | undefined;
  /** messages: the response messages received (unframed). */
  readonly messages: readonly Buffer[];
}

/** CallOptions shape a raw call. */
export interface CallOptions {
  /** headers over gRPC's usual ones (a value of null removes a header). */
  readonly headers?: Readonly<Record<string, string | null>>;
  /** end: half-close after the chunks (default true). */
  readonly end?: boolean;
  /** waitMs: how long to wait for the stream to close before cancelling it (default 3000). */
  readonly waitMs?: number;
  /** session: reuse this connection instead of a new one. */
  readonly session?: ClientHttp2Session;
  /** firstMessage: end the call (cancel it) as soon as one response message arrived. */
  readonly firstMessage?: boolean;
}

/** grpcFrame frames bytes as one gRPC message; `declaredLength` and `flag` may lie. */
export function grpcFrame(body: Uint8Array, declaredLength = body.length, flag = 0): Buffer {
  return Buffer.concat([framePrefix(declaredLength, flag), body]);
}

/** grpcCall sends `chunks` as the request body of a call to `path` on `address` (host:port). */
export function grpcCall(address: string, path: string, chunks: readonly Uint8Array[], options: CallOptions = {}): Promise<CallOutcome> {
  return new Promise((resolve) => {
    const session = options.session ?? connect(`http://${address}`);
    let sessionError: string | undefined;
    session.on("error", (error: Error) => (sessionError = error.message));
    const headers: Record<string, string> = { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" };
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value === null) delete headers[name];
      else headers[name] = value;
    }
    const request = session.request(headers);
    let status: number | undefined;
    let message = "";
    let responseData = false;
    let open = false;
    const messages: Buffer[] = [];
    const deframer = new GrpcDeframer((m) => messages.push(Buffer.from(m.buffer, m.byteOffset, m.byteLength)), Infinity);
    const take = (fields: Record<string, unknown>): void => {
      if (fields["grpc-status"] !== undefined) status = Number(fields["grpc-status"]);
      if (typeof fields["grpc-message"] === "string") message = decodeGrpcMessage(fields["grpc-message"]);
    };
    request.on("response", (h) => take(h));
    request.on("trailers", (t: IncomingHttpHeaders) => take(t)); // typed: ClientHttp2Stream's overloads hide this event's
    request.on("data", (chunk: Buffer) => {
      responseData = true;
      deframer.push(chunk);
      if (options.firstMessage && messages.length > 0 && !request.closed) request.close(constants.NGHTTP2_CANCEL);
    });
    request.on("error", () => undefined);
    const timer = setTimeout(() => {
      open = true;
      request.close(constants.NGHTTP2_CANCEL);
    }, options.waitMs ?? 3000);
    request.on("close", () => {
      clearTimeout(timer);
      const outcome: CallOutcome = { status, message, responseData, rstCode: request.rstCode, open, sessionError, messages };
      if (options.session === undefined) session.close();
      resolve(outcome);
    });
    for (const chunk of chunks) request.write(chunk);
    if (options.end ?? true) request.end();
  });
}
