/**
 * GrpcServer: the server side of gRPC over node:http2, with our codecs (DESIGN §8: grpc-js's
 * server tops out near 7k unary calls/s on our machines; this path is ours to make fast).
 *
 * It routes HTTP/2 streams by `:path` to registered handlers of the service definitions in
 * @etcd-ts/api, frames and unframes messages, enforces the receive limit before buffering a
 * body, honours `grpc-timeout` and client cancellation through an AbortSignal, and writes
 * statuses as gRPC requires (trailers, or a trailers-only response before any message).
 * Error texts of the transport itself are grpc-go's, since etcd's clients see those from etcd.
 *
 * Not here: listening and TLS (see ClientListener), the etcd services themselves.
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { gunzipSync } from "node:zlib";
import { GrpcStatus, ProtoDecodeError, type GrpcStatusCode, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";
import { frameMessage, MessageFramer } from "./MessageFramer.js";
import { StatusError, toGrpcStatus } from "./StatusError.js";

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
}

type Route =
  | { readonly kind: "unary"; readonly method: MethodDefinition<unknown, unknown>; readonly handler: UnaryHandler<unknown, unknown> }
  | { readonly kind: "stream"; readonly method: MethodDefinition<unknown, unknown>; readonly handler: StreamHandler<unknown, unknown> };

/** The abort reason of a call that finished normally. */
const CALL_FINISHED = new StatusError(GrpcStatus.CANCELLED, "call finished");

const RESERVED_HEADERS = new Set(["content-type", "te", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding", "content-length", "user-agent"]);

/** GrpcServer dispatches HTTP/2 streams to gRPC handlers. */
export class GrpcServer {
  private readonly routes = new Map<string, Route>();
  private readonly services = new Set<string>();
  private readonly active = new Set<AbortController>();

  constructor(private readonly options: GrpcServerOptions) {}

  /** addUnary registers the handler of a unary method. */
  addUnary<Req, Res>(method: MethodDefinition<Req, Res>, handler: UnaryHandler<Req, Res>): void {
    this.add({ kind: "unary", method: method as MethodDefinition<unknown, unknown>, handler: handler as UnaryHandler<unknown, unknown> });
  }

  /** addStream registers the handler of a streaming method (client, server or bidi). */
  addStream<Req, Res>(method: MethodDefinition<Req, Res>, handler: StreamHandler<Req, Res>): void {
    this.add({ kind: "stream", method: method as MethodDefinition<unknown, unknown>, handler: handler as StreamHandler<unknown, unknown> });
  }

  private add(route: Route): void {
    if (this.routes.has(route.method.path)) throw new Error(`grpc: ${route.method.path} registered twice`);
    this.routes.set(route.method.path, route);
    this.services.add(route.method.path.split("/")[1]!);
  }

  /**
   * invokeUnary calls a registered unary handler directly — the JSON gateway's way in, so
   * HTTP/1 requests get exactly the gRPC handlers' behaviour. Throws StatusError(UNIMPLEMENTED)
   * for an unknown path.
   */
  async invokeUnary(path: string, request: unknown, call: CallContext): Promise<unknown> {
    const route = this.routes.get(path);
    if (!route || route.kind !== "unary") throw new StatusError(GrpcStatus.UNIMPLEMENTED, `unknown method ${path}`);
    return route.handler(request, call);
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

  /** abortAll cancels every call in flight (server shutdown). */
  abortAll(): void {
    for (const controller of this.active) controller.abort(new StatusError(GrpcStatus.UNAVAILABLE, "etcdserver: server stopped"));
  }

  /** handleStream serves one HTTP/2 stream; attach it to an Http2Server's "stream" event. */
  handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const path = headers[":path"] ?? "";
    const contentType = headers["content-type"] ?? "";
    if (headers[":method"] !== "POST" || !contentType.startsWith("application/grpc")) {
      stream.respond({ ":status": headers[":method"] !== "POST" ? 405 : 415 }, { endStream: true });
      return;
    }
    const route = this.routes.get(path);
    if (!route) {
      const [, service = "", methodName = ""] = path.split("/");
      const message = this.services.has(service) ? `unknown method ${methodName} for service ${service}` : `unknown service ${service}`;
      respondStatus(stream, GrpcStatus.UNIMPLEMENTED, message);
      return;
    }
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity" && encoding !== "gzip") {
      respondStatus(stream, GrpcStatus.UNIMPLEMENTED, `grpc: Decompressor is not installed for grpc-encoding "${encoding}"`);
      return;
    }
    this.options.observer?.started(route.method);
    new Call(stream, headers, route, this.options, encoding === "gzip", this.active).start();
  }
}

/** One call in flight: owns its stream from the first request byte to the trailers. */
class Call {
  private readonly controller = new AbortController();
  private readonly framer: MessageFramer;
  private responded = false;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  // Streaming requests not yet taken by the handler, and its waiting reader.
  private readonly inbox: unknown[] = [];
  private inboxWaiter: ((r: IteratorResult<unknown>) => void) | undefined;
  private requestsEnded = false;
  private unaryRequest: unknown;
  private unaryCount = 0;
  readonly context: CallContext;

  constructor(
    private readonly stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    private readonly route: Route,
    private readonly options: GrpcServerOptions,
    private readonly gzip: boolean,
    private readonly active: Set<AbortController>,
  ) {
    this.framer = new MessageFramer(options.maxReceiveMessageSize);
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name.startsWith(":") || RESERVED_HEADERS.has(name) || value === undefined) continue;
      metadata[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    const timeout = parseTimeout(headers["grpc-timeout"]);
    const socket = stream.session?.socket;
    this.context = {
      metadata,
      signal: this.controller.signal,
      deadline: timeout === undefined ? undefined : Date.now() + timeout,
      peer: socket ? `${socket.remoteAddress}:${socket.remotePort}` : "unknown",
    };
    if (timeout !== undefined) {
      this.timer = setTimeout(() => this.fail(new StatusError(GrpcStatus.DEADLINE_EXCEEDED, "context deadline exceeded")), timeout);
    }
  }

  start(): void {
    this.active.add(this.controller);
    this.controller.signal.addEventListener("abort", () => this.fail(this.controller.signal.reason), { once: true });
    this.stream.on("data", (chunk: Buffer) => this.onData(chunk));
    this.stream.on("end", () => this.onEnd());
    this.stream.on("close", () => {
      // The client reset the stream or the connection went away.
      if (!this.finished) this.controller.abort(new StatusError(GrpcStatus.CANCELLED, "context canceled"));
      this.cleanup();
    });
    this.stream.on("error", () => undefined); // surfaced through "close"
    if (this.route.kind === "stream") void this.runStream();
  }

  private onData(chunk: Buffer): void {
    if (this.finished) return;
    let messages;
    try {
      messages = this.framer.push(chunk);
    } catch (error) {
      this.fail(error);
      return;
    }
    for (const framed of messages) {
      let request: unknown;
      try {
        let bytes = framed.bytes;
        if (framed.compressed) {
          if (!this.gzip) throw new StatusError(GrpcStatus.INTERNAL, "grpc: compressed flag set with identity or empty encoding");
          bytes = gunzipSync(bytes, { maxOutputLength: this.options.maxReceiveMessageSize });
        }
        request = this.route.method.requestDeserialize(bytes);
      } catch (error) {
        if (error instanceof StatusError) this.fail(error);
        else if (error instanceof ProtoDecodeError) this.fail(new StatusError(GrpcStatus.INTERNAL, `grpc: error unmarshalling request: ${error.message}`));
        else if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
          this.fail(new StatusError(GrpcStatus.RESOURCE_EXHAUSTED, `grpc: received message after decompression larger than max (${this.options.maxReceiveMessageSize})`));
        } else this.fail(new StatusError(GrpcStatus.INTERNAL, `grpc: failed to decompress the received message: ${(error as Error).message}`));
        return;
      }
      if (this.route.kind === "unary") {
        this.unaryRequest = request;
        this.unaryCount++;
      } else this.deliver(request);
    }
  }

  private onEnd(): void {
    if (this.finished) return;
    if (this.framer.partial) {
      this.fail(new StatusError(GrpcStatus.INTERNAL, "grpc: received incomplete message"));
      return;
    }
    this.requestsEnded = true;
    if (this.route.kind === "unary") {
      if (this.unaryCount !== 1) {
        this.fail(new StatusError(GrpcStatus.INTERNAL, this.unaryCount === 0 ? "grpc: no request message for a unary call" : "grpc: too many request messages for a unary call"));
        return;
      }
      void this.runUnary();
    } else if (this.inboxWaiter) {
      const waiter = this.inboxWaiter;
      this.inboxWaiter = undefined;
      waiter({ done: true, value: undefined });
    }
  }

  private async runUnary(): Promise<void> {
    const route = this.route as Extract<Route, { kind: "unary" }>;
    try {
      const response = await route.handler(this.unaryRequest, this.context);
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
      if (this.inbox.length > 0) return Promise.resolve({ done: false, value: this.inbox.shift() });
      if (this.requestsEnded || this.finished) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => (this.inboxWaiter = resolve));
    };
    const iterator: AsyncIterator<unknown> = { next, return: () => Promise.resolve({ done: true, value: undefined }) };
    return {
      ...this.context,
      send: (response) => this.sendMessage(response),
      drained: () => new Promise<void>((resolve) => (this.stream.writableNeedDrain ? this.stream.once("drain", resolve) : resolve())),
      [Symbol.asyncIterator]: () => iterator,
    };
  }

  private deliver(request: unknown): void {
    if (this.inboxWaiter) {
      const waiter = this.inboxWaiter;
      this.inboxWaiter = undefined;
      waiter({ done: false, value: request });
    } else this.inbox.push(request);
  }

  private respondHeaders(): void {
    if (this.responded) return;
    this.responded = true;
    this.stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  }

  private sendMessage(response: unknown): boolean {
    if (this.finished || this.stream.destroyed) return false;
    const bytes = this.route.method.responseType.encode(response as PartialMessage<unknown>);
    const limit = this.options.maxSendMessageSize;
    if (limit !== undefined && bytes.length > limit) {
      throw new StatusError(GrpcStatus.RESOURCE_EXHAUSTED, `grpc: trying to send message larger than max (${bytes.length} vs. ${limit})`);
    }
    this.respondHeaders();
    return this.stream.write(frameMessage(bytes));
  }

  private fail(error: unknown): void {
    const { code, message } = toGrpcStatus(error);
    this.finish(code, message);
  }

  private finish(code: GrpcStatusCode, message: string): void {
    if (this.finished) return;
    this.finished = true;
    this.options.observer?.handled(this.route.method, code);
    // A finished call's signal aborts so its handler's waits end; an OK finish (the common case)
    // shares one reason instead of building an Error with a stack per call.
    if (!this.controller.signal.aborted) this.controller.abort(code === GrpcStatus.OK ? CALL_FINISHED : new StatusError(code, message));
    if (this.inboxWaiter) {
      const waiter = this.inboxWaiter;
      this.inboxWaiter = undefined;
      waiter({ done: true, value: undefined });
    }
    this.cleanup();
    if (this.stream.destroyed || this.stream.closed) return;
    if (!this.responded) {
      respondStatus(this.stream, code, message);
      return;
    }
    this.stream.once("wantTrailers", () => {
      const trailers: Record<string, string> = { "grpc-status": String(code) };
      if (message) trailers["grpc-message"] = encodeGrpcMessage(message);
      this.stream.sendTrailers(trailers);
    });
    this.stream.end();
  }

  private cleanup(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.active.delete(this.controller);
  }
}

/** respondStatus sends a trailers-only response: the status without any message. */
function respondStatus(stream: ServerHttp2Stream, code: GrpcStatusCode, message: string): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  const headers: Record<string, string | number> = { ":status": 200, "content-type": "application/grpc", "grpc-status": String(code) };
  if (message) headers["grpc-message"] = encodeGrpcMessage(message);
  stream.respond(headers, { endStream: true });
}

/** encodeGrpcMessage percent-encodes a status message as the gRPC spec requires. */
export function encodeGrpcMessage(message: string): string {
  let out = "";
  for (const byte of Buffer.from(message, "utf8")) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const TIMEOUT_UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** parseTimeout reads a `grpc-timeout` header into milliseconds. */
export function parseTimeout(value: string | string[] | undefined): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!match) return undefined;
  return Math.max(0, Number(match[1]) * TIMEOUT_UNITS[match[2]!]!);
}
