/**
 * Connection: the client's HTTP/2 connection to one endpoint, and the gRPC calls made on
 * it, over node:http2 with @etcd-ts/api's codecs (no gRPC library).
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
 * The connection:
 *  - dials lazily (`connect`), at most one dial at a time; it is connected once the
 *    server's SETTINGS frame arrived; a dial that does not get there within `dialTimeoutMs`
 *    is abandoned;
 *  - is replaced when it is lost (socket closed, keepalive unanswered) or retired (the server
 *    sent GOAWAY, or its stream IDs run low): new calls go to a new session while the old one
 *    finishes the calls it has;
 *  - sends an HTTP/2 PING when it has calls open and nothing was received for
 *    `keepAliveTimeMs`; a ping unanswered within `keepAliveTimeoutMs` drops the connection,
 *    failing its calls with UNAVAILABLE (a silent peer: a partition, a frozen process);
 *  - `close()` destroys every session and fails every call; nothing of it then keeps a
 *    process alive.
 *
 * A call ends exactly once, through `onEnd`, unless its owner cancels it (RST_STREAM
 * CANCEL; no callback then). A deadline ends it with DEADLINE_EXCEEDED and an abort signal
 * with CANCELLED, both resetting the stream. Retry, failover and endpoint health are the
 * Transport's business, not this file's.
 */
import * as http2 from "node:http2";
import { isIP } from "node:net";
import {
  GrpcDeframer,
  GrpcStatus,
  decodeGrpcMessage,
  encodeFrame,
  formatGrpcTimeout,
  type GrpcStatusCode,
  type MethodDefinition,
  type PartialMessage,
} from "@etcd-ts/api";
import { CallError, errorFromReset, parseGrpcStatus, statusFromHttpStatus } from "./CallStatus.js";
import type { EndpointAddress } from "./Endpoints.js";

/** TLS material for secure endpoints (PEM). */
export interface TlsOptions {
  /** ca is the trusted root certificate(s); the system roots when absent. */
  readonly ca?: Uint8Array | string | undefined;
  /** cert is the client certificate for mutual TLS. */
  readonly cert?: Uint8Array | string | undefined;
  /** key is the client certificate's private key. */
  readonly key?: Uint8Array | string | undefined;
  /** servername is the name to verify the server's certificate against (SNI); the endpoint's host by default. */
  readonly servername?: string | undefined;
}

/** Metadata is a call's custom headers (lower-case names), e.g. `{ token }`. */
export type Metadata = Readonly<Record<string, string>>;

/** ConnectionOptions configure one connection. */
export interface ConnectionOptions {
  readonly endpoint: EndpointAddress;
  /** tls turns TLS on even for an `http://` endpoint (as etcd's client does with TLS material). */
  readonly tls?: TlsOptions | undefined;
  /** dialTimeoutMs bounds one connection attempt. */
  readonly dialTimeoutMs: number;
  /** keepAliveTimeMs: ping after this long without receiving anything while calls are open (0: never). */
  readonly keepAliveTimeMs: number;
  /** keepAliveTimeoutMs: drop the connection when a ping is not answered within this long. */
  readonly keepAliveTimeoutMs: number;
}

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

/** The stream flow-control window the client offers (the server may send this much ahead per call). */
const STREAM_WINDOW = 4 * 1024 * 1024;
/** The connection-wide window. */
const SESSION_WINDOW = 32 * 1024 * 1024;
/** Stream IDs are 31-bit and never reused: a session is retired well before they run out. */
const RETIRE_AFTER_STREAM_ID = 2 ** 31 - 1 - 2 ** 20;

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM } = http2.constants;

/** MAX_RECEIVE_MESSAGE_SIZE is the largest response message accepted: etcd's client default (math.MaxInt32). */
export const MAX_RECEIVE_MESSAGE_SIZE = 2 ** 31 - 1;

const toBuffer = (v: Uint8Array | string): Buffer => (typeof v === "string" ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength));

/** hostOf returns the host of `host:port` or `[v6]:port`. */
function hostOf(address: string): string {
  const match = /^\[?(.*?)\]?:\d+$/.exec(address);
  return match === null ? address : match[1]!;
}

/** One HTTP/2 session and its keepalive. */
class Session {
  readonly h2: http2.ClientHttp2Session;
  connected = false;
  /** refusedAbove is the last stream ID the server said (GOAWAY) it will process. */
  refusedAbove = Infinity;
  /** lostReason is why the session was dropped, once it was. */
  lostReason: string | undefined;
  /** active counts the calls open on the session. */
  private active = 0;
  /** activity changes whenever something is received; keepalive pings only when it did not. */
  activity = 0;
  private seenActivity = 0;
  private dialTimer: NodeJS.Timeout | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: ConnectionOptions,
    onConnect: (session: Session) => void,
    onGoaway: (session: Session) => void,
    onGone: (session: Session) => void,
  ) {
    const { endpoint, tls } = options;
    const secure = endpoint.secure || tls !== undefined;
    const sessionOptions: http2.SecureClientSessionOptions = { settings: { enablePush: false, initialWindowSize: STREAM_WINDOW } };
    if (secure) {
      sessionOptions.ALPNProtocols = ["h2"];
      if (tls?.ca !== undefined) sessionOptions.ca = toBuffer(tls.ca);
      if (tls?.cert !== undefined) sessionOptions.cert = toBuffer(tls.cert);
      if (tls?.key !== undefined) sessionOptions.key = toBuffer(tls.key);
      const host = hostOf(endpoint.address);
      const servername = tls?.servername ?? (isIP(host) === 0 ? host : undefined);
      if (servername !== undefined) sessionOptions.servername = servername;
    }
    const h2 = http2.connect(`${secure ? "https" : "http"}://${endpoint.address}`, sessionOptions);
    this.h2 = h2;
    this.dialTimer = setTimeout(() => {
      this.dialTimer = undefined;
      this.drop(`no connection within ${options.dialTimeoutMs} ms`);
    }, options.dialTimeoutMs);
    h2.once("connect", () => {
      try {
        h2.setLocalWindowSize(SESSION_WINDOW);
      } catch {
        // a session destroyed meanwhile: its close handler reports it
      }
    });
    // Connected means the server's HTTP/2 SETTINGS arrived, not just the socket (or the TLS
    // handshake, which under TLS 1.3 ends on the client's side before the server has checked
    // the client's certificate): a call is then never sent to a server that will not take it.
    h2.once("remoteSettings", () => {
      clearTimeout(this.dialTimer);
      this.dialTimer = undefined;
      this.connected = true;
      onConnect(this);
    });
    h2.on("error", (err: Error) => {
      this.lostReason ??= err.message;
    });
    h2.on("goaway", (errorCode: number, lastStreamID: number) => {
      this.refusedAbove = Math.min(this.refusedAbove, lastStreamID);
      this.lostReason ??= `the server sent GOAWAY (code ${errorCode})`;
      onGoaway(this);
    });
    h2.once("close", () => {
      this.lostReason ??= "connection closed";
      this.stopTimers();
      onGone(this);
    });
  }

  /** callStarted counts a new call and starts keepalive with the first one. */
  callStarted(): void {
    if (this.active++ === 0 && this.keepAliveTimer === undefined && this.pingTimer === undefined) this.armKeepAlive();
  }

  /** callEnded counts a call out. */
  callEnded(): void {
    this.active--;
    this.activity++;
  }

  /** drop destroys the session, failing its calls with UNAVAILABLE (`reason`). */
  drop(reason: string): void {
    this.lostReason ??= reason;
    this.h2.destroy();
  }

  private armKeepAlive(): void {
    if (this.options.keepAliveTimeMs <= 0 || this.h2.destroyed) return;
    this.seenActivity = this.activity;
    this.keepAliveTimer = setTimeout(() => this.onKeepAliveTimer(), this.options.keepAliveTimeMs);
    this.keepAliveTimer.unref();
  }

  private onKeepAliveTimer(): void {
    this.keepAliveTimer = undefined;
    if (this.h2.destroyed || this.active === 0) return;
    if (this.activity !== this.seenActivity) {
      this.armKeepAlive();
      return;
    }
    let sent: boolean;
    try {
      sent = this.h2.ping((err) => {
        clearTimeout(this.pingTimer);
        this.pingTimer = undefined;
        if (err !== null) return;
        this.activity++;
        if (this.active > 0) this.armKeepAlive();
      });
    } catch {
      sent = false;
    }
    if (!sent) {
      this.armKeepAlive();
      return;
    }
    const timeout = this.options.keepAliveTimeoutMs;
    this.pingTimer = setTimeout(() => {
      this.pingTimer = undefined;
      this.drop(`keepalive ping not answered within ${timeout} ms`);
    }, timeout);
    this.pingTimer.unref();
  }

  private stopTimers(): void {
    clearTimeout(this.dialTimer);
    clearTimeout(this.keepAliveTimer);
    clearTimeout(this.pingTimer);
    this.dialTimer = this.keepAliveTimer = this.pingTimer = undefined;
  }
}

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
abstract class GrpcCall<Req, Res> {
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
    stream[CALL] = this as GrpcCall<unknown, unknown>;
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

/** A unary call: one request, one response, settled into a promise. */
class UnaryCall<Req, Res> extends GrpcCall<Req, Res> {
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

/** A streaming call, reporting to its handlers. */
class StreamCall<Req, Res> extends GrpcCall<Req, Res> implements Call<Req> {
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

/** Connection is one endpoint's connection; see the module comment. */
export class Connection {
  private session: Session | undefined;
  /** Every session not yet gone, the current one and those still finishing their calls. */
  private readonly sessions = new Set<Session>();
  private readonly waiters = new Set<(connected: boolean) => void>();
  private closed = false;

  constructor(private readonly options: ConnectionOptions) {}

  /** isReady reports whether a connected session takes calls now. */
  get isReady(): boolean {
    return this.session?.connected === true;
  }

  /**
   * connect resolves true once connected (at once if it is), false when the dial fails or
   * `until` (epoch ms) passes first; the signal's abort rejects with its reason.
   */
  connect(until: number, signal?: AbortSignal): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    const session = this.session ?? this.dial();
    if (session.connected) return Promise.resolve(true);
    return new Promise<boolean>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (connected: boolean): void => {
        this.waiters.delete(done);
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(connected);
      };
      const onAbort = (): void => {
        done(false);
        reject(signal?.reason);
      };
      if (until !== Infinity) timer = setTimeout(() => done(false), Math.max(0, until - Date.now()));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(done);
    });
  }

  /**
   * unary makes one unary call; it rejects with a {@link CallError}. `deadline` is epoch ms
   * (Infinity: none). The connection must be ready (else UNAVAILABLE, not sent).
   */
  unary<Req, Res>(method: MethodDefinition<Req, Res>, request: PartialMessage<Req>, metadata: Metadata | undefined, deadline: number, signal?: AbortSignal): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const frame = encodeFrame(method.requestType, request);
      const session = this.readySession();
      const headers = this.headers(method, metadata, deadline);
      let call: UnaryCall<Req, Res>;
      try {
        call = new UnaryCall(session, method, headers, resolve, reject);
      } catch (err) {
        throw this.cannotStart(session, err);
      }
      this.started(session, call, deadline, signal);
      call.send(frame);
    });
  }

  /**
   * stream opens a streaming call (bidi, or server-streaming: write one request, then end).
   * It throws a {@link CallError} (UNAVAILABLE, not sent) when the connection is not ready;
   * otherwise everything that happens reaches `handlers`, never synchronously.
   */
  stream<Req, Res>(method: MethodDefinition<Req, Res>, metadata: Metadata | undefined, handlers: CallHandlers<Res>, deadline = Infinity, signal?: AbortSignal): Call<Req> {
    const session = this.readySession();
    const headers = this.headers(method, metadata, deadline);
    let call: StreamCall<Req, Res>;
    try {
      call = new StreamCall(session, method, headers, handlers);
    } catch (err) {
      throw this.cannotStart(session, err);
    }
    this.started(session, call, deadline, signal);
    return call;
  }

  /** close destroys every session: open calls end with UNAVAILABLE, dials in progress fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.session = undefined;
    for (const session of [...this.sessions]) session.drop("the client is closed");
    this.sessions.clear();
    for (const waiter of [...this.waiters]) waiter(false);
  }

  private readySession(): Session {
    const session = this.session;
    if (session === undefined || !session.connected) throw new CallError(GrpcStatus.UNAVAILABLE, `not connected to ${this.options.endpoint.raw}`, true);
    return session;
  }

  private headers(method: MethodDefinition<unknown, unknown>, metadata: Metadata | undefined, deadline: number): http2.OutgoingHttpHeaders {
    const headers: http2.OutgoingHttpHeaders = { ":method": "POST", ":path": method.path, "content-type": "application/grpc", te: "trailers" };
    if (metadata !== undefined) for (const name in metadata) headers[name] = metadata[name];
    if (deadline !== Infinity) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new CallError(GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded before the call started", true);
      headers["grpc-timeout"] = formatGrpcTimeout(remaining);
    }
    return headers;
  }

  /** cannotStart: the session could not open a stream (closing, out of stream IDs); the next call gets a new one. */
  private cannotStart(session: Session, err: unknown): CallError {
    this.retire(session);
    return new CallError(GrpcStatus.UNAVAILABLE, `cannot start a call: ${(err as Error).message}`, true);
  }

  private started(session: Session, call: GrpcCall<unknown, unknown>, deadline: number, signal: AbortSignal | undefined): void {
    call.bound(deadline, signal);
    if (call.id > RETIRE_AFTER_STREAM_ID) this.retire(session);
  }

  private dial(): Session {
    const session = new Session(
      this.options,
      () => {
        for (const waiter of [...this.waiters]) waiter(true);
      },
      (s) => this.retire(s),
      (s) => {
        this.sessions.delete(s);
        if (this.session === s) this.session = undefined;
        // A dial that failed: whoever waits for it learns now (a newer dial has its own waiters).
        if (!s.connected && this.session === undefined) for (const waiter of [...this.waiters]) waiter(false);
      },
    );
    this.session = session;
    this.sessions.add(session);
    return session;
  }

  /** retire stops sending new calls to `session`; it closes once its calls are done. */
  private retire(session: Session): void {
    if (this.session === session) this.session = undefined;
    if (!session.h2.closed && !session.h2.destroyed) session.h2.close();
  }
}
