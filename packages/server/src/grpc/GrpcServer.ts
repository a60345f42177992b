/**
 * GrpcServer: the server side of gRPC over node:http2, with our codecs (DESIGN §8: grpc-js's
 * server tops out near 7k unary calls/s on our machines; this path is ours to make fast).
 *
 * It routes HTTP/2 streams by `:path` to registered handlers of the service definitions in
 * @etcd-ts/api, frames and unframes messages with @etcd-ts/api's gRPC wire rules (its
 * GrpcDeframer refuses an oversized message before buffering its body), honours
 * `grpc-timeout` and client cancellation through an AbortSignal, and writes statuses as gRPC
 * requires (trailers, or a trailers-only response before any message).
 * Error texts of the transport itself are grpc-go's, since etcd's clients see those from etcd.
 *
 * Broken or hostile requests get what etcd 3.4.23 (grpc-go 1.26) gives, as observed on it: a
 * content type that is not gRPC's or a malformed `grpc-timeout` resets the stream
 * (PROTOCOL_ERROR); a path without a method is ResourceExhausted "malformed method name"; any
 * `grpc-encoding` but identity is Unimplemented (etcd installs no decompressor, not even
 * gzip); a body that does not decode is Internal ("grpc: error unmarshalling request: ..." for
 * a unary call, "grpc: failed to unmarshal the received message ..." on a stream, then the
 * decoder's gogo text); a unary call is served from its first message, whatever follows it,
 * and one that ends without a message is Unknown "EOF" ("unexpected EOF" if cut short). A
 * status sent while the client is still sending is followed by RST_STREAM(NO_ERROR), so no
 * stream stays half-open. A stream handler that does not keep up pauses the HTTP/2 stream
 * (flow control then stops the client), and a handler waiting in `drained()` is released when
 * the call ends.
 *
 * The same handlers serve in-process calls without HTTP/2 (`channel()`, InProcessChannel.ts).
 *
 * Not here: listening and TLS (see ClientListener), the etcd services themselves.
 */
import { constants as http2Constants, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import {
  GrpcDeframer,
  GrpcStatus,
  ProtoDecodeError,
  encodeGrpcMessage,
  frameMessage,
  parseGrpcTimeout,
  type GrpcStatusCode,
  type MethodDefinition,
  type PartialMessage,
} from "@etcd-ts/api";
import { ChannelStatusError, type Channel } from "@etcd-ts/client";
import { InProcessChannel } from "./InProcessChannel.js";
import { StatusError, toGrpcStatus } from "./StatusError.js";
import { bindCommonName, boundCommonName } from "../tls/commonName.js";

/** Metadata is the call's custom headers (lower-case names, pseudo-headers and gRPC's own left out). */
export type Metadata = Readonly<Record<string, string>>;

/** CallContext is what every handler learns about its call. */
export interface CallContext {
  readonly metadata: Metadata;
  /** signal aborts when the client cancels, the deadline passes or the server stops. */
  readonly signal: AbortSignal;
  /** deadline in epoch ms, when the client set one. */
  readonly deadline: number | undefined;
  /** peer is the client's address, `ip:port`. */
  readonly peer: string;
  /**
   * commonName is the CN of the client's verified TLS certificate, on a listener with
   * `--client-cert-auth` (the user of requests without a token); absent otherwise.
   */
  readonly commonName?: string;
}

/** UnaryHandler answers one request with one response (or throws a status). */
export type UnaryHandler<Req, Res> = (request: Req, call: CallContext) => Promise<PartialMessage<Res>> | PartialMessage<Res>;

/** StreamCall is a streaming call as its handler sees it: requests in, responses out. */
export interface StreamCall<Req, Res> extends CallContext, AsyncIterable<Req> {
  /** send queues a response; false means the transport buffer is full: await `drained()`. */
  send(response: PartialMessage<Res>): boolean;
  /** drained resolves once the transport buffer has room again. */
  drained(): Promise<void>;
}

/** StreamHandler runs a client-, server- or bidi-streaming call until it resolves (status OK) or throws. */
export type StreamHandler<Req, Res> = (call: StreamCall<Req, Res>) => Promise<void>;

/** GrpcServerOptions are the limits etcd configures on its gRPC server. */
export interface GrpcServerOptions {
  /** maxReceiveMessageSize: larger requests get ResourceExhausted before they are buffered. */
  readonly maxReceiveMessageSize: number;
  /** maxSendMessageSize: larger responses become ResourceExhausted (default: unlimited, as etcd). */
  readonly maxSendMessageSize?: number;
  /** observer hears every call of a registered method start and end (for metrics). */
  readonly observer?: CallObserver;
}

/** CallObserver is told about calls of registered methods. */
export interface CallObserver {
  started(method: MethodDefinition<unknown, unknown>): void;
  handled(method: MethodDefinition<unknown, unknown>, code: GrpcStatusCode): void;
  /** clientRequest: a call came in, unary or stream, from a client of this API version ("unknown" when unsaid). */
  clientRequest?(type: "unary" | "stream", clientApiVersion: string): void;
  /** received / sent: one message of a call came in / went out, of this many bytes (its protobuf encoding, unframed). */
  received?(method: MethodDefinition<unknown, unknown>, bytes: number): void;
  sent?(method: MethodDefinition<unknown, unknown>, bytes: number): void;
}

/** Route is a registered method and its handler. */
export type Route =
  | { readonly kind: "unary"; readonly method: MethodDefinition<unknown, unknown>; readonly handler: UnaryHandler<unknown, unknown> }
  | { readonly kind: "stream"; readonly method: MethodDefinition<unknown, unknown>; readonly handler: StreamHandler<unknown, unknown> };

/** The longest delay setTimeout takes (about 24.8 days). */
const MAX_TIMER_MS = 0x7fff_ffff;

/** Queued streaming requests beyond which the stream is paused (see Call.deliver). */
const INBOX_MAX_REQUESTS = 64;

/** The abort reason of a call that finished normally. */
const CALL_FINISHED = new StatusError(GrpcStatus.CANCELLED, "call finished");

/** The metadata key etcd's clients name their API version with (etcd's rpctypes). */
const CLIENT_API_VERSION = "client-api-version";

const RESERVED_HEADERS = new Set(["content-type", "te", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding", "content-length", "user-agent"]);

/** GrpcServer dispatches HTTP/2 streams to gRPC handlers. */
export class GrpcServer {
  private readonly routes = new Map<string, Route>();
  private readonly services = new Set<string>();
  /** Calls in flight, over HTTP/2 or in-process: `abortAll` ends them. */
  private readonly active = new Set<{ abort(reason: unknown): void }>();

  constructor(private readonly options: GrpcServerOptions) {}

  /** addUnary registers the handler of a unary method. */
  addUnary<Req, Res>(method: MethodDefinition<Req, Res>, handler: UnaryHandler<Req, Res>): void {
    this.add({ kind: "unary", method, handler: handler as UnaryHandler<unknown, unknown> });
  }

  /** addStream registers the handler of a streaming method (client, server or bidi). */
  addStream<Req, Res>(method: MethodDefinition<Req, Res>, handler: StreamHandler<Req, Res>): void {
    this.add({ kind: "stream", method, handler: handler as StreamHandler<unknown, unknown> });
  }

  private add(route: Route): void {
    if (this.routes.has(route.method.path)) throw new Error(`grpc: ${route.method.path} registered twice`);
    this.routes.set(route.method.path, route);
    this.services.add(route.method.path.split("/")[1]!);
  }

  /**
   * invokeUnary calls a registered unary handler directly — the JSON gateway's way in, so
   * HTTP/1 requests get exactly the gRPC handlers' behaviour. Throws StatusError(UNIMPLEMENTED)
   * for an unknown path. The observer hears the call as a gRPC one: etcd's gateway is a gRPC
   * client of its own server, so its calls show in the gRPC metrics (bytes as encoded).
   */
  async invokeUnary(path: string, request: unknown, call: CallContext): Promise<unknown> {
    const route = this.routes.get(path);
    if (!route || route.kind !== "unary") throw new StatusError(GrpcStatus.UNIMPLEMENTED, `unknown method ${path}`);
    const observer = this.options.observer;
    if (!observer) return route.handler(request, call);
    const method = route.method;
    observer.started(method);
    observer.clientRequest?.("unary", call.metadata[CLIENT_API_VERSION] ?? "unknown");
    observer.received?.(method, method.requestSerialize(request).length);
    try {
      const response = await route.handler(request, call);
      observer.sent?.(method, method.responseSerialize(response).length);
      observer.handled(method, GrpcStatus.OK);
      return response;
    } catch (error) {
      observer.handled(method, toGrpcStatus(error).code);
      throw error;
    }
  }

  /** route returns the method definition registered at a path (for the gateway's codecs). */
  method(path: string): MethodDefinition<unknown, unknown> | undefined {
    return this.routes.get(path)?.method;
  }

  /** streamHandler returns the handler of a streaming method (the gateway's watch). */
  streamHandler(path: string): StreamHandler<unknown, unknown> | undefined {
    const route = this.routes.get(path);
    return route?.kind === "stream" ? route.handler : undefined;
  }

  /**
   * channel is @etcd-ts/client's Channel served by this server's handlers, in-process (no
   * socket): `new Client({ channel: grpc.channel() })` is a client of this member. See
   * `InProcessChannel.ts` for what it carries and what it leaves out (the call observer).
   */
  channel(): Channel {
    return new InProcessChannel({
      route: (path) => this.routes.get(path),
      unknownPath: (path) => new ChannelStatusError(...this.unknownPath(path)),
      active: this.active,
    });
  }

  /** abortAll cancels every call in flight (server shutdown). */
  abortAll(): void {
    for (const call of this.active) call.abort(new StatusError(GrpcStatus.UNAVAILABLE, "etcdserver: server stopped"));
  }

  /** handleStream serves one HTTP/2 stream; attach it to an Http2Server's "stream" event. */
  handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const path = headers[":path"] ?? "";
    // As grpc-go: `:method` is not looked at; a content type that is not gRPC's, or a
    // grpc-timeout that does not parse, resets the stream.
    const timeoutHeader = headers["grpc-timeout"];
    const timeout = typeof timeoutHeader === "string" ? parseGrpcTimeout(timeoutHeader) : undefined;
    if (!isGrpcContentType(headers["content-type"]) || (timeoutHeader !== undefined && timeout === undefined)) {
      stream.on("error", ignore); // a reset with an error code is also an 'error' event
      stream.close(http2Constants.NGHTTP2_PROTOCOL_ERROR);
      return;
    }
    const route = this.routes.get(path);
    if (!route) {
      const [code, message] = this.unknownPath(path);
      respondStatus(stream, code, message);
      return;
    }
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") {
      respondStatus(stream, GrpcStatus.UNIMPLEMENTED, `grpc: Decompressor is not installed for grpc-encoding "${String(encoding)}"`);
      return;
    }
    const observer = this.options.observer;
    if (observer) {
      observer.started(route.method);
      const version = headers[CLIENT_API_VERSION];
      observer.clientRequest?.(route.kind === "unary" ? "unary" : "stream", typeof version === "string" ? version : "unknown");
    }
    new Call(stream, headers, route, this.options, timeout, this.active).start();
  }

  /** unknownPath is grpc-go's status for a path no method is registered at. */
  private unknownPath(path: string): [GrpcStatusCode, string] {
    const name = path.startsWith("/") ? path.slice(1) : path;
    const slash = name.lastIndexOf("/");
    if (slash < 0) return [GrpcStatus.RESOURCE_EXHAUSTED, `malformed method name: ${JSON.stringify(path)}`];
    const service = name.slice(0, slash);
    const methodName = name.slice(slash + 1);
    return [GrpcStatus.UNIMPLEMENTED, this.services.has(service) ? `unknown method ${methodName} for service ${service}` : `unknown service ${service}`];
  }
}

/**
 * One call in flight: owns its stream from the first request byte to the trailers.
 * Per-call costs are the server's throughput: the AbortController and the peer address are
 * made only when a handler asks for them (most unary handlers never do).
 */
class Call {
  private controller: AbortController | undefined;
  /** Why the call ended early (client cancel, deadline, server stop), for a signal made afterwards. */
  private abortReason: unknown;
  private endCode: GrpcStatusCode = GrpcStatus.OK;
  private endMessage = "";
  private readonly deframer: GrpcDeframer;
  private responded = false;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  // Streaming requests not yet taken by the handler, and its waiting reader.
  private readonly inbox: unknown[] = [];
  private readonly inboxSizes: number[] = [];
  private inboxWaiter: ((r: IteratorResult<unknown>) => void) | undefined;
  private requestsEnded = false;
  /** Bytes of the requests in `inbox`; above the receive limit the stream is paused. */
  private inboxBytes = 0;
  private paused = false;
  private drainWait: Promise<void> | undefined;
  private unaryStarted = false;
  readonly context: CallContext;

  constructor(
    private readonly stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    private readonly route: Route,
    private readonly options: GrpcServerOptions,
    timeout: number | undefined,
    private readonly active: Set<{ abort(reason: unknown): void }>,
  ) {
    this.deframer = new GrpcDeframer((bytes) => this.onMessage(bytes), options.maxReceiveMessageSize);
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name.startsWith(":") || RESERVED_HEADERS.has(name) || value === undefined) continue;
      metadata[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    // The listener bound the certificate's CN to the session; the auth lookup sees the metadata.
    const commonName = stream.session ? boundCommonName(stream.session) : undefined;
    if (commonName !== undefined) bindCommonName(metadata, commonName);
    const signal = (): AbortSignal => this.signal();
    this.context = {
      metadata,
      get signal(): AbortSignal {
        return signal();
      },
      deadline: timeout === undefined ? undefined : Date.now() + timeout,
      get peer(): string {
        const socket = stream.session?.socket;
        return socket ? `${socket.remoteAddress}:${socket.remotePort}` : "unknown";
      },
      ...(commonName === undefined ? {} : { commonName }),
    };
    // (A timer beyond 2^31-1 ms would fire at once: such a deadline is never reached anyway.)
    if (timeout !== undefined && timeout <= MAX_TIMER_MS) {
      this.timer = setTimeout(() => this.abort(new StatusError(GrpcStatus.DEADLINE_EXCEEDED, "context deadline exceeded")), timeout);
    }
  }

  /** signal is the call's AbortSignal, made on first use; aborted when the call ends. */
  signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.finished) this.controller.abort(this.endReason());
    }
    return this.controller.signal;
  }

  /** abort ends the call early with `reason` (a status): client cancel, deadline, server stop. */
  abort(reason: unknown): void {
    if (this.finished) return;
    this.abortReason = reason;
    this.fail(reason);
  }

  /** endReason is what the signal carries once the call ended: a shared reason for an OK finish. */
  private endReason(): unknown {
    return this.abortReason ?? (this.endCode === GrpcStatus.OK ? CALL_FINISHED : new StatusError(this.endCode, this.endMessage));
  }

  start(): void {
    this.active.add(this);
    this.stream.on("data", (chunk: Buffer) => this.onData(chunk));
    this.stream.on("end", () => this.onEnd());
    this.stream.on("close", () => {
      // The client reset the stream or the connection went away.
      if (!this.finished) this.abort(new StatusError(GrpcStatus.CANCELLED, "context canceled"));
      this.cleanup();
    });
    this.stream.on("error", () => undefined); // surfaced through "close"
    if (this.route.kind === "stream") void this.runStream();
  }

  private onData(chunk: Buffer): void {
    // A unary call is served from its first message: grpc-go never reads what follows it.
    if (this.finished || this.unaryStarted) return;
    // The messages before a refused frame (oversized, compressed) are taken first, as grpc-go does.
    const refused = this.deframer.push(chunk);
    if (refused !== undefined && !this.unaryStarted) this.fail(new StatusError(refused.code, refused.message));
  }

  /** onMessage takes one whole request message from the deframer. */
  private onMessage(bytes: Uint8Array): void {
    if (this.finished || this.unaryStarted) return;
    let request: unknown;
    try {
      request = this.route.method.requestDeserialize(bytes);
      this.options.observer?.received?.(this.route.method, bytes.length);
    } catch (error) {
      if (!(error instanceof ProtoDecodeError)) this.fail(error);
      else if (this.route.kind === "unary") this.fail(new StatusError(GrpcStatus.INTERNAL, `grpc: error unmarshalling request: ${error.message}`));
      else this.fail(new StatusError(GrpcStatus.INTERNAL, `grpc: failed to unmarshal the received message ${error.message}`));
      return;
    }
    if (this.route.kind === "unary") {
      this.unaryStarted = true;
      void this.runUnary(request);
      return;
    }
    this.deliver(request, bytes.length);
  }

  private onEnd(): void {
    this.requestsEnded = true;
    if (this.finished || this.unaryStarted) return;
    if (this.route.kind === "unary") {
      // grpc-go's recvMsg: no message at all is io.EOF, a cut one io.ErrUnexpectedEOF; a
      // unary call ends with either as Unknown.
      this.fail(new StatusError(GrpcStatus.UNKNOWN, this.deframer.partial ? "unexpected EOF" : "EOF"));
      return;
    }
    // A stream cut inside a message: the deframer's verdict (INTERNAL "unexpected EOF").
    const truncated = this.deframer.end();
    if (truncated !== undefined) {
      this.fail(new StatusError(truncated.code, truncated.message));
      return;
    }
    if (this.inboxWaiter) {
      const waiter = this.inboxWaiter;
      this.inboxWaiter = undefined;
      waiter({ done: true, value: undefined });
    }
  }

  private async runUnary(request: unknown): Promise<void> {
    const route = this.route as Extract<Route, { kind: "unary" }>;
    try {
      const response = await route.handler(request, this.context);
      if (this.finished) return;
      this.sendMessage(response);
      this.finish(GrpcStatus.OK, "");
    } catch (error) {
      this.fail(error);
    }
  }

  private async runStream(): Promise<void> {
    const route = this.route as Extract<Route, { kind: "stream" }>;
    const call = this.streamCall();
    try {
      await route.handler(call);
      if (!this.finished) this.finish(GrpcStatus.OK, "");
    } catch (error) {
      this.fail(error);
    }
  }

  private streamCall(): StreamCall<unknown, unknown> {
    const next = (): Promise<IteratorResult<unknown>> => {
      if (this.inbox.length > 0) return Promise.resolve({ done: false, value: this.take() });
      if (this.requestsEnded || this.finished) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => (this.inboxWaiter = resolve));
    };
    const iterator: AsyncIterator<unknown> = { next, return: () => Promise.resolve({ done: true, value: undefined }) };
    return {
      ...this.context,
      send: (response) => this.sendMessage(response),
      drained: () => this.drained(),
      [Symbol.asyncIterator]: () => iterator,
    };
  }

  /**
   * drained resolves once the stream's write buffer has room again, or the call ended (a
   * client that stopped reading and went away must not leave its handler waiting forever).
   */
  private drained(): Promise<void> {
    if (this.finished || this.stream.destroyed || !this.stream.writableNeedDrain) return Promise.resolve();
    return (this.drainWait ??= new Promise<void>((resolve) => {
      const done = (): void => {
        this.drainWait = undefined;
        this.stream.off("drain", done);
        this.stream.off("close", done);
        this.drainRelease = undefined;
        resolve();
      };
      this.stream.on("drain", done);
      this.stream.on("close", done);
      this.drainRelease = done;
    }));
  }

  /** Releases a handler waiting in `drained()` (the call ended). */
  private drainRelease: (() => void) | undefined;

  /**
   * deliver hands a streaming request to the handler, or queues it; a queue beyond one
   * maximal message (or 64 requests) pauses the stream, so HTTP/2 flow control stops a client
   * that sends faster than its handler takes.
   */
  private deliver(request: unknown, size: number): void {
    if (this.inboxWaiter) {
      const waiter = this.inboxWaiter;
      this.inboxWaiter = undefined;
      waiter({ done: false, value: request });
      return;
    }
    this.inbox.push(request);
    this.inboxSizes.push(size);
    this.inboxBytes += size;
    if (!this.paused && (this.inboxBytes > this.options.maxReceiveMessageSize || this.inbox.length > INBOX_MAX_REQUESTS)) {
      this.paused = true;
      this.stream.pause();
    }
  }

  /** take removes the oldest queued request, resuming a paused stream once the queue is short. */
  private take(): unknown {
    const request = this.inbox.shift();
    this.inboxBytes -= this.inboxSizes.shift() ?? 0;
    if (this.paused && this.inbox.length <= INBOX_MAX_REQUESTS / 2 && this.inboxBytes <= this.options.maxReceiveMessageSize / 2) {
      this.paused = false;
      this.stream.resume();
    }
    return request;
  }

  private respondHeaders(): void {
    if (this.responded) return;
    this.responded = true;
    this.stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  }

  private sendMessage(response: unknown): boolean {
    if (this.finished || this.stream.destroyed) return false;
    // `encode`, not `encodeFrame`: a v3rpc method's codec may pass pre-encoded responses through `encode` only.
    const bytes = this.route.method.responseType.encode(response);
    const limit = this.options.maxSendMessageSize;
    if (limit !== undefined && bytes.length > limit) {
      throw new StatusError(GrpcStatus.RESOURCE_EXHAUSTED, `grpc: trying to send message larger than max (${bytes.length} vs. ${limit})`);
    }
    this.respondHeaders();
    this.options.observer?.sent?.(this.route.method, bytes.length);
    return this.stream.write(frameMessage(bytes));
  }

  private fail(error: unknown): void {
    const { code, message } = toGrpcStatus(error);
    this.finish(code, message);
  }

  private finish(code: GrpcStatusCode, message: string): void {
    if (this.finished) return;
    this.finished = true;
    this.endCode = code;
    this.endMessage = message;
    this.options.observer?.handled(this.route.method, code);
    // A finished call's signal aborts so its handler's waits end; an OK finish (the common case)
    // shares one reason instead of building an Error with a stack per call.
    if (this.controller !== undefined && !this.controller.signal.aborted) this.controller.abort(this.endReason());
    if (this.inboxWaiter) {
      const waiter = this.inboxWaiter;
      this.inboxWaiter = undefined;
      waiter({ done: true, value: undefined });
    }
    this.cleanup();
    this.drainRelease?.();
    if (this.stream.destroyed || this.stream.closed) return;
    if (!this.responded) {
      respondStatus(this.stream, code, message);
      // grpc-go resets a stream whose client is still sending once the status is out.
      if (!this.requestsEnded) this.stream.once("finish", () => this.resetIfStillSending());
      return;
    }
    this.stream.once("wantTrailers", () => {
      const trailers: Record<string, string> = { "grpc-status": String(code) };
      if (message) trailers["grpc-message"] = encodeGrpcMessage(message);
      this.stream.sendTrailers(trailers);
      // (Not in this callback: nghttp2 would send the reset before the trailers.)
      if (!this.requestsEnded) setImmediate(() => this.resetIfStillSending());
    });
    this.stream.end();
  }

  /** resetIfStillSending ends, with RST_STREAM(NO_ERROR), a finished call the client has not half-closed. */
  private resetIfStillSending(): void {
    if (!this.requestsEnded && !this.stream.closed) this.stream.close(http2Constants.NGHTTP2_NO_ERROR);
  }

  private cleanup(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.active.delete(this);
  }
}

/** respondStatus sends a trailers-only response: the status without any message. */
function respondStatus(stream: ServerHttp2Stream, code: GrpcStatusCode, message: string): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  const headers: Record<string, string | number> = { ":status": 200, "content-type": "application/grpc", "grpc-status": String(code) };
  if (message) headers["grpc-message"] = encodeGrpcMessage(message);
  stream.respond(headers, { endStream: true });
}

function ignore(): void {}

/** isGrpcContentType is grpc-go's test: `application/grpc`, alone or followed by `+` or `;`. */
function isGrpcContentType(contentType: string | undefined): boolean {
  if (contentType === undefined || !contentType.startsWith("application/grpc")) return false;
  const next = contentType.charAt("application/grpc".length);
  return next === "" || next === "+" || next === ";";
}
