/**
 * Connection: one gRPC connection to one endpoint — the hot path of the load generator,
 * with none of the typed client's retry and failover bookkeeping.
 *
 * Unary calls go over a bare node:http2 session with @etcd-ts/api's codecs (one HTTP/2
 * stream per call: headers, one length-prefixed message, grpc-status in the trailers):
 * measured on this machine it costs about a third of grpc-js's client CPU per call, and
 * the client CPU is what limits a load generator sharing 2 cores with the server (see the
 * README). `--grpc-js` switches unary calls back to grpc-js. Streams (watch, lease
 * keep-alive) always use grpc-js.
 *
 * Each Connection owns its own TCP connection (`grpc.use_local_subchannel_pool` for
 * grpc-js), so `--conns 100` really opens 100 connections, as etcd's benchmark does. It
 * does not retry: an error is the benchmark's to count.
 */
import * as http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { GrpcDeframer, decodeGrpcMessage, encodeFrame, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";

/** endpointAddress turns `http://host:port` or `host:port` into grpc-js's `host:port`. */
export function endpointAddress(endpoint: string): string {
  return endpoint.replace(/^[a-z]+:\/\//, "").replace(/\/+$/, "");
}

/** BidiStream is a bidirectional stream whose responses arrive in order. */
export interface BidiStream<Req, Res> {
  /** send writes a request. */
  send(request: PartialMessage<Req>): void;
  /** next resolves with the next response not yet taken. */
  next(): Promise<Res>;
  /** onData routes every response to a handler instead of {@link BidiStream.next}. */
  onData(handler: (response: Res) => void): void;
  /** close cancels the stream. */
  close(): void;
}

/** GrpcCallError is a failed unary call over node:http2: its gRPC status and message. */
export class GrpcCallError extends Error {
  override readonly name = "GrpcCallError";
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(`${code} ${details}`);
  }
}

/** ConnectionOptions tune a {@link Connection}. */
export interface ConnectionOptions {
  /** grpcJs: unary calls through grpc-js instead of node:http2. */
  readonly grpcJs?: boolean;
}

/** Connection is one connection; see the module comment. */
export class Connection {
  private client: grpc.Client | undefined;
  private session: http2.ClientHttp2Session | undefined;
  private readonly grpcJs: boolean;

  constructor(
    readonly endpoint: string,
    options: ConnectionOptions = {},
  ) {
    this.grpcJs = options.grpcJs === true;
  }

  private grpcClient(): grpc.Client {
    this.client ??= new grpc.Client(endpointAddress(this.endpoint), grpc.credentials.createInsecure(), {
      "grpc.use_local_subchannel_pool": 1,
      "grpc.max_receive_message_length": -1,
      "grpc.max_send_message_length": -1,
    });
    return this.client;
  }

  private http2Session(): http2.ClientHttp2Session {
    if (this.session === undefined || this.session.closed || this.session.destroyed) {
      const session = http2.connect(`http://${endpointAddress(this.endpoint)}`, { settings: { initialWindowSize: 16 * 1024 * 1024 } });
      session.on("error", () => {}); // surfaces on the calls in flight
      session.on("connect", () => session.setLocalWindowSize(64 * 1024 * 1024));
      this.session = session;
    }
    return this.session;
  }

  /** ready waits until the connection is established (or fails after `timeoutMs`). */
  ready(timeoutMs = 10_000): Promise<void> {
    if (this.grpcJs) {
      return new Promise((resolve, reject) => {
        this.grpcClient().waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve()));
      });
    }
    const session = this.http2Session();
    if (session.connecting === false) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connect ${this.endpoint}: timed out`)), timeoutMs);
      session.once("connect", () => (clearTimeout(timer), resolve()));
      session.once("error", (e: Error) => (clearTimeout(timer), reject(e)));
    });
  }

  /** unary makes one unary call. */
  unary<Req, Res>(method: MethodDefinition<Req, Res>, request: PartialMessage<Req>): Promise<Res> {
    if (this.grpcJs) {
      return new Promise((resolve, reject) => {
        this.grpcClient().makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, (error, response) => {
          if (error) reject(error);
          else resolve(response as Res);
        });
      });
    }
    return new Promise((resolve, reject) => {
      const frame = encodeFrame(method.requestType, request);
      const stream = this.http2Session().request(
        { ":method": "POST", ":path": method.path, "content-type": "application/grpc", te: "trailers" },
        { endStream: false },
      );
      // No size limit, as grpc-js is told here (-1); the first message is the response.
      let response: Uint8Array | undefined;
      const deframer = new GrpcDeframer((message) => (response ??= message), Infinity);
      let status: string | undefined;
      let message = "";
      const readStatus = (headers: http2.IncomingHttpHeaders): void => {
        const s = headers["grpc-status"];
        if (typeof s === "string") {
          status = s;
          const m = headers["grpc-message"];
          message = typeof m === "string" ? decodeGrpcMessage(m) : "";
        }
      };
      stream.on("response", readStatus);
      stream.on("trailers", readStatus);
      stream.on("data", (chunk: Buffer) => deframer.push(chunk));
      stream.on("error", (error: Error) => reject(error));
      stream.on("close", () => {
        if (status === undefined) return reject(new GrpcCallError(14, `stream closed without a status (rst ${stream.rstCode})`));
        if (status !== "0") return reject(new GrpcCallError(Number(status), message));
        const broken = deframer.end(); // a compressed or truncated response
        if (broken !== undefined) return reject(new GrpcCallError(broken.code, broken.message));
        if (response === undefined) return reject(new GrpcCallError(13, "response without a message"));
        try {
          resolve(method.responseDeserialize(response));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      stream.end(frame);
    });
  }

  /** bidi opens a bidirectional stream. */
  bidi<Req, Res>(method: MethodDefinition<Req, Res>): BidiStream<Req, Res> {
    const call = this.grpcClient().makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize);
    const queue: Res[] = [];
    const waiters: { resolve: (r: Res) => void; reject: (e: Error) => void }[] = [];
    let failure: Error | undefined;
    let handler: ((response: Res) => void) | undefined;
    call.on("data", (response: Res) => {
      if (handler) return handler(response);
      const waiter = waiters.shift();
      if (waiter) waiter.resolve(response);
      else queue.push(response);
    });
    const fail = (error: Error): void => {
      failure ??= error;
      for (const waiter of waiters.splice(0)) waiter.reject(failure);
    };
    call.on("error", fail);
    call.on("end", () => fail(new Error(`stream ${method.path} ended`)));
    return {
      send: (request) => void call.write(request),
      next: () => {
        const queued = queue.shift();
        if (queued !== undefined) return Promise.resolve(queued);
        if (failure) return Promise.reject(failure);
        return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
      },
      onData: (h) => {
        handler = h;
        for (const r of queue.splice(0)) h(r);
      },
      close: () => call.cancel(),
    };
  }

  /** close closes the connection. */
  close(): void {
    this.client?.close();
    this.session?.close();
  }
}

/** errorMessage is the text an error is counted under in a report. */
export function errorMessage(error: unknown): string {
  if (error && typeof error === "object" && "details" in error && typeof error.details === "string" && error.details !== "") {
    return error.details;
  }
  return error instanceof Error ? error.message : String(error);
}
