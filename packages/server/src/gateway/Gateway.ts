/**
 * Gateway: etcd's JSON gateway (grpc-gateway) on the HTTP/1.1 side of the client port —
 * `POST /v3/kv/range`, `/v3/watch`, `/v3/lease/keepalive`, ... with etcd 3.4.23's routes,
 * JSON mapping (JsonMapping.ts), statuses, headers and error bodies, as observed on the real
 * etcd. `/v3beta/...` serves the same routes, as etcd 3.4 does.
 *
 * Every request runs the registered gRPC handler itself (GrpcServer.invokeUnary /
 * streamHandler), so HTTP clients get exactly the gRPC behaviour; requests and responses go
 * through the binary codecs once, as they would crossing etcd's loopback gRPC connection, so
 * defaults and absent-vs-empty messages come out as etcd's do.
 *
 * Streams: the body of `/v3/watch` and `/v3/lease/keepalive` is a sequence of JSON requests;
 * each response is written as `{"result":{...}}\n` in its own chunk, headers only once the
 * first response exists. A watch stays open after the body ends until the client goes away
 * (etcd's watch server ignores the half-close); a keepalive stream ends with the body, as
 * etcd's does.
 *
 * Not here: websocket upgrades (etcd's wsproxy), TLS, and routing of non-/v3 paths.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { GrpcStatus, ProtoDecodeError, parseGrpcTimeout, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";
import { type CallContext, type GrpcServer, type Metadata, type StreamCall } from "../grpc/GrpcServer.js";
import { StatusError, toGrpcStatus } from "../grpc/StatusError.js";
import { decodeNext, goString, JsonSyntaxError } from "./goJson.js";
import { httpStatusFromCode, statusText } from "./httpStatus.js";
import { JsonMappingError, messageFromJson, messageToJson } from "./JsonMapping.js";
import type { RouteSchema } from "./schema.js";
import { ROUTES } from "./schema.generated.js";

/** GatewayOptions are the member's limits the gateway applies. */
export interface GatewayOptions {
  /**
   * maxReceiveMessageSize: the gRPC server's receive limit (etcd: --max-request-bytes + 512 KiB).
   * A request whose binary form is larger gets etcd's ResourceExhausted; bodies over 4x are cut off.
   */
  readonly maxReceiveMessageSize?: number;
}

/** GatewayHandler serves one HTTP/1.1 request on a `/v3/` or `/v3beta/` path. */
export type GatewayHandler = (request: IncomingMessage, response: ServerResponse) => void;

const DEFAULT_MAX_RECEIVE = 1.5 * 1024 * 1024 + 512 * 1024;

/** Requests of a stream queued for its handler beyond which the body is no longer read. */
const STREAM_BACKLOG = 64;

/** The CORS headers etcd puts on every HTTP response of the client port. */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Headers": "accept, content-type, authorization",
  "Access-Control-Allow-Methods": "POST, GET, OPTIONS, PUT, DELETE",
  "Access-Control-Allow-Origin": "*",
};

/**
 * Streams whose etcd server ignores the client's half-close: the gateway keeps them open
 * after the request body ends, until the HTTP client disconnects.
 */
const HOLD_OPEN_AFTER_BODY = new Set(["/etcdserverpb.Watch/Watch"]);

/** HTTP headers grpc-gateway forwards as `grpcgateway-<name>` metadata. */
const PERMANENT_HEADERS = new Set([
  "accept", "accept-charset", "accept-language", "accept-ranges", "authorization", "cache-control", "content-type",
  "cookie", "date", "expect", "from", "host", "if-match", "if-modified-since", "if-none-match", "if-schedule-tag-match",
  "if-unmodified-since", "max-forwards", "origin", "pragma", "referer", "user-agent", "via", "warning",
]);

/**
 * The route table: the first route declared for a path wins. etcd 3.4 declares HashKV at
 * Hash's path (`/v3/maintenance/hash`) and the real etcd 3.4.23 answers it with Hash, so
 * HashKV has no gateway route, as in etcd 3.4.
 */
const ROUTE_TABLE: ReadonlyMap<string, RouteSchema> = (() => {
  const table = new Map<string, RouteSchema>();
  for (const route of ROUTES) if (!table.has(route.http)) table.set(route.http, route);
  return table;
})();

/** isGatewayPath says whether a request path (no query) belongs to the gateway. */
export function isGatewayPath(path: string): boolean {
  return path === "/v3" || path === "/v3beta" || path.startsWith("/v3/") || path.startsWith("/v3beta/");
}

/** gatewayRoutes lists the HTTP paths served and the gRPC method behind each. */
export function gatewayRoutes(): ReadonlyMap<string, RouteSchema> {
  return ROUTE_TABLE;
}

/**
 * gatewayHandler returns the JSON gateway over the handlers registered on `grpc`. Routes
 * whose gRPC method is not registered (yet) answer 501 Unimplemented, as grpc-go would.
 */
export function gatewayHandler(grpc: GrpcServer, options: GatewayOptions = {}): GatewayHandler {
  const maxReceive = options.maxReceiveMessageSize ?? DEFAULT_MAX_RECEIVE;
  return (request, response) => {
    for (const [name, value] of Object.entries(CORS_HEADERS)) response.setHeader(name, value);
    const url = request.url ?? "/";
    const queryAt = url.indexOf("?");
    const query = queryAt >= 0 ? url.slice(queryAt) : "";
    let path = queryAt >= 0 ? url.slice(0, queryAt) : url;
    try {
      path = decodeURIComponent(path);
    } catch {
      // Go keeps an undecodable path as it is for matching purposes
    }
    if (request.method === "OPTIONS") {
      response.writeHead(200, { "Content-Length": "0" });
      response.end();
      return;
    }
    // Go's ServeMux: "/v3" redirects to "/v3/"; unclean paths redirect to their clean form.
    if (path === "/v3" || path === "/v3beta") return redirect(request, response, `${path}/${query}`);
    if (path.startsWith("/v3beta/")) path = `/v3/${path.slice("/v3beta/".length)}`;
    const clean = cleanPath(path);
    if (clean !== path) return redirect(request, response, clean + query);

    const route = ROUTE_TABLE.get(path);
    if (!route) return textError(response, 404, "Not Found");
    if (request.method !== "POST") return textError(response, 405, "Method Not Allowed");
    const call = new HttpCall(grpc, request, response, route, maxReceive);
    if (route.clientStream) call.serveClientStream();
    else void call.serveBodyRequest();
  };
}

/** One gateway request in flight. */
class HttpCall {
  private readonly controller = new AbortController();
  private finished = false;
  private headersSent = false;
  private readonly method: MethodDefinition<unknown, unknown> | undefined;
  readonly context: CallContext;

  constructor(
    private readonly grpc: GrpcServer,
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
    private readonly route: RouteSchema,
    private readonly maxReceive: number,
  ) {
    this.method = grpc.method(route.grpc);
    const timeoutHeader = request.headers["grpc-timeout"];
    const timeout = typeof timeoutHeader === "string" ? parseGrpcTimeout(timeoutHeader) : undefined;
    this.context = {
      metadata: gatewayMetadata(request),
      signal: this.controller.signal,
      deadline: timeout === undefined ? undefined : Date.now() + timeout,
      peer: `${request.socket.remoteAddress ?? "unknown"}:${request.socket.remotePort ?? 0}`,
    };
    // (Beyond 2^31-1 ms a timer would fire at once: such a deadline is never reached anyway.)
    if (timeout !== undefined && timeout <= 0x7fff_ffff) {
      const timer = setTimeout(() => this.controller.abort(new StatusError(GrpcStatus.DEADLINE_EXCEEDED, "context deadline exceeded")), timeout);
      timer.unref();
      this.controller.signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
    }
    response.on("close", () => {
      if (!response.writableFinished) this.controller.abort(new StatusError(GrpcStatus.CANCELLED, "context canceled"));
    });
    response.on("finish", () => this.controller.abort(new StatusError(GrpcStatus.CANCELLED, "call finished")));
  }

  /** Unary and server-streaming routes: the body is one request. */
  async serveBodyRequest(): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(this.request, this.maxReceive * 4);
    } catch {
      this.grpcError(GrpcStatus.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${this.maxReceive * 4} vs. ${this.maxReceive})`, true);
      return;
    }
    let partial: Record<string, unknown>;
    try {
      const decoded = decodeNext(body, 0, true);
      partial = messageFromJson(this.route.request, decoded.kind === "value" ? decoded.value : { kind: "null" });
    } catch (error) {
      // grpc-gateway: status.Errorf(codes.InvalidArgument, "%v", err), before any gRPC call.
      if (error instanceof JsonSyntaxError || error instanceof JsonMappingError) this.grpcError(GrpcStatus.INVALID_ARGUMENT, error.message, false);
      else if (error instanceof StatusError) this.grpcError(error.code, error.message, true); // what the gRPC server would answer
      else this.grpcError(GrpcStatus.INTERNAL, (error as Error).message, false);
      return;
    }
    try {
      if (!this.method) throw this.unimplemented();
      const requestMessage = this.toRequest(partial);
      if (this.route.serverStream) {
        await this.runStream(singleRequest(requestMessage));
        return;
      }
      const result = await this.grpc.invokeUnary(this.route.grpc, requestMessage, this.context);
      if (this.finished) return;
      const json = this.responseJson(result);
      this.finished = true;
      this.response.writeHead(200, { "Content-Type": "application/json", "Grpc-Metadata-Content-Type": "application/grpc" });
      this.response.end(json);
    } catch (error) {
      const { code, message } = toGrpcStatus(error);
      this.grpcError(code, message, true);
    }
  }

  /** Client- and bidi-streaming routes: the body is a sequence of requests. */
  serveClientStream(): void {
    const inbox: unknown[] = [];
    let waiter: ((result: IteratorResult<unknown>) => void) | undefined;
    let ended = false; // no more requests will come
    let started = false;
    const holdOpen = HOLD_OPEN_AFTER_BODY.has(this.route.grpc);
    const wake = (): void => {
      if (!waiter) return;
      if (inbox.length > 0) {
        const w = waiter;
        waiter = undefined;
        w({ done: false, value: inbox.shift() });
      } else if (ended && (!holdOpen || this.controller.signal.aborted)) {
        const w = waiter;
        waiter = undefined;
        w({ done: true, value: undefined });
      }
    };
    this.controller.signal.addEventListener("abort", () => {
      ended = true;
      wake();
    }, { once: true });
    let paused = false; // the request body is not read while the handler has a backlog
    const requests: AsyncIterable<unknown> = {
      [Symbol.asyncIterator]: () => ({
        next: () =>
          new Promise<IteratorResult<unknown>>((resolve) => {
            waiter = resolve;
            wake();
            if (paused && inbox.length <= STREAM_BACKLOG / 2) {
              paused = false;
              this.request.resume();
            }
          }),
        return: () => Promise.resolve({ done: true, value: undefined }),
      }),
    };
    const start = (): void => {
      if (started) return;
      started = true;
      void this.runStream(requests);
    };

    let buffer = Buffer.alloc(0);
    let offset = 0;
    let bodyEnded = false;
    const pump = (): void => {
      while (!ended) {
        let result;
        try {
          result = decodeNext(buffer, offset, bodyEnded);
          if (result.kind === "incomplete") return;
          if (result.kind === "eof") {
            if (bodyEnded) break;
            return;
          }
          offset = result.end;
          inbox.push(this.toRequest(messageFromJson(this.route.request, result.value)));
        } catch (error) {
          // grpc-gateway: a first request that does not decode fails the call (not a status:
          // Unknown, 500); a later one just ends the request stream.
          if (!started) {
            ended = true;
            this.grpcError(GrpcStatus.UNKNOWN, (error as Error).message, false);
            return;
          }
          break;
        }
        start();
        wake();
      }
      if (!ended) {
        ended = true;
        start();
        wake();
      }
    };
    this.request.on("data", (chunk: Buffer) => {
      if (ended) return;
      buffer = offset > 0 ? Buffer.concat([buffer.subarray(offset), chunk]) : Buffer.concat([buffer, chunk]);
      offset = 0;
      if (buffer.length > this.maxReceive * 4) {
        bodyEnded = true;
        this.request.pause();
      }
      pump();
      // A handler that does not keep up (its answers cannot be written to a client that does
      // not read them): stop reading the body; TCP then holds the client back.
      if (!ended && !bodyEnded && inbox.length > STREAM_BACKLOG) {
        paused = true;
        this.request.pause();
      }
    });
    this.request.on("end", () => {
      bodyEnded = true;
      pump();
    });
    this.request.on("error", () => undefined);
  }

  /** Runs a streaming gRPC handler, writing each response as a `{"result":...}` line. */
  private async runStream(requests: AsyncIterable<unknown>): Promise<void> {
    const handler = this.grpc.streamHandler(this.route.grpc);
    try {
      if (!handler || !this.method) throw this.unimplemented();
      const streamCall: StreamCall<unknown, unknown> = {
        ...this.context,
        send: (message) => this.sendResult(message),
        drained: () => new Promise<void>((resolve) => (this.response.writableNeedDrain && !this.response.destroyed ? this.response.once("drain", resolve).once("close", resolve) : resolve())),
        [Symbol.asyncIterator]: () => requests[Symbol.asyncIterator](),
      };
      await handler(streamCall);
      if (this.finished) return;
      this.finished = true;
      // No response at all: grpc-gateway got no header metadata to forward.
      if (!this.headersSent) this.response.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
      this.response.end();
    } catch (error) {
      if (this.finished) return;
      const { code, message } = toGrpcStatus(error);
      // Before any response the status arrives trailers-only: grpc-gateway answers it as a
      // unary error (without the trailer, which it did not capture for streams).
      if (!this.headersSent) {
        this.grpcError(code, message, false);
        return;
      }
      this.finished = true;
      const httpStatus = httpStatusFromCode(code);
      const fields = [`"grpc_code":${code}`, `"http_code":${httpStatus}`];
      if (message !== "") fields.push(`"message":${goString(message)}`);
      fields.push(`"http_status":${goString(statusText(httpStatus))}`);
      this.response.end(`{"error":{${fields.join(",")}}}`);
    }
  }

  private sendResult(message: PartialMessage<unknown>): boolean {
    if (this.finished || this.response.destroyed) return false;
    const json = this.responseJson(message);
    this.writeStreamHeaders();
    return this.response.write(`{"result":${json}}\n`);
  }

  private writeStreamHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.response.writeHead(200, { "Content-Type": "application/json", "Grpc-Metadata-Content-Type": "application/grpc", "Transfer-Encoding": "chunked" });
  }

  /** toRequest gives the handler the request as the gRPC server would decode it (or its error). */
  private toRequest(partial: Record<string, unknown>): unknown {
    if (!this.method) return partial; // the call fails Unimplemented before reading it
    const bytes = this.method.requestType.encode(partial);
    if (bytes.length > this.maxReceive) {
      throw new StatusError(GrpcStatus.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${bytes.length} vs. ${this.maxReceive})`);
    }
    try {
      return this.method.requestType.decode(bytes);
    } catch (error) {
      if (error instanceof ProtoDecodeError) throw new StatusError(GrpcStatus.INTERNAL, `grpc: error unmarshalling request: ${error.message}`);
      throw error;
    }
  }

  /** responseJson writes a handler's response as the client side of gRPC would decode it. */
  private responseJson(response: unknown): string {
    const codec = this.method!.responseType;
    const decoded = codec.decode(codec.encode(response));
    return messageToJson(this.route.response, decoded as Record<string, unknown>);
  }

  private unimplemented(): StatusError {
    // grpc-go's texts for a service or a method the server does not have.
    const [, service = "", methodName = ""] = this.route.grpc.split("/");
    const serviceKnown = [...ROUTE_TABLE.values()].some((r) => r.grpc.startsWith(`/${service}/`) && this.grpc.method(r.grpc) !== undefined);
    return new StatusError(GrpcStatus.UNIMPLEMENTED, serviceKnown ? `unknown method ${methodName} for service ${service}` : `unknown service ${service}`);
  }

  /**
   * grpcError answers with grpc-gateway's error body. `fromServer`: the status came back from
   * the gRPC call, whose trailers-only response grpc-gateway forwards as an HTTP trailer.
   */
  private grpcError(code: number, message: string, fromServer: boolean): void {
    if (this.finished || this.response.headersSent) return;
    this.finished = true;
    const body = `{"error":${goString(message)},"message":${goString(message)},"code":${code}}`;
    if (!fromServer) {
      this.response.writeHead(httpStatusFromCode(code), { "Content-Type": "application/json" });
      this.response.end(body);
      return;
    }
    this.response.writeHead(httpStatusFromCode(code), { "Content-Type": "application/json", Trailer: "Grpc-Trailer-Content-Type", "Transfer-Encoding": "chunked" });
    this.response.write(body);
    this.response.addTrailers({ "Grpc-Trailer-Content-Type": "application/grpc" });
    this.response.end();
  }
}

/** singleRequest is a server-streaming route's request stream: its one message, then the end. */
function singleRequest(request: unknown): AsyncIterable<unknown> {
  const pending = [request];
  return {
    [Symbol.asyncIterator]: () => ({
      next: (): Promise<IteratorResult<unknown>> =>
        Promise.resolve(pending.length > 0 ? { done: false, value: pending.shift() } : { done: true, value: undefined }),
    }),
  };
}

/** gatewayMetadata is the gRPC metadata grpc-gateway derives from the HTTP headers. */
function gatewayMetadata(request: IncomingMessage): Metadata {
  const metadata: Record<string, string> = {};
  const headers: IncomingHttpHeaders = request.headers;
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(", ") : raw;
    if (name === "authorization") metadata["authorization"] = value;
    if (PERMANENT_HEADERS.has(name)) metadata[`grpcgateway-${name}`] = value;
    else if (name.startsWith("grpc-metadata-")) metadata[name.slice("grpc-metadata-".length)] = value;
  }
  if (headers.host !== undefined) metadata["x-forwarded-host"] = headers.host;
  if (request.socket.remoteAddress !== undefined) metadata["x-forwarded-for"] = request.socket.remoteAddress;
  return metadata;
}

/** readBody buffers a request body, failing beyond `limit` bytes. */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.pause();
        reject(new Error("request body too large"));
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/** textError is Go's http.Error. */
function textError(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" });
  response.end(`${text}\n`);
}

/** redirect is Go's http.Redirect with 301 (a body only for GET and HEAD). */
function redirect(request: IncomingMessage, response: ServerResponse, location: string): void {
  request.resume();
  if (request.method === "GET" || request.method === "HEAD") {
    response.writeHead(301, { Location: location, "Content-Type": "text/html; charset=utf-8" });
    response.end(`<a href="${htmlEscape(location)}">Moved Permanently</a>.\n\n`);
    return;
  }
  response.writeHead(301, { Location: location, "Content-Length": "0" });
  response.end();
}

function htmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&#34;").replace(/'/g, "&#39;");
}

/** cleanPath is Go's ServeMux cleanPath: path.Clean, keeping a trailing slash. */
export function cleanPath(path: string): string {
  if (path === "") return "/";
  const rooted = path.startsWith("/") ? path : `/${path}`;
  const out: string[] = [];
  for (const part of rooted.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  let clean = `/${out.join("/")}`;
  if (rooted.endsWith("/") && clean !== "/") clean += "/";
  return clean;
}
