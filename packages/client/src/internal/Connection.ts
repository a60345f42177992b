/**
 * Connection: the client's HTTP/2 connection to one endpoint, and the gRPC calls made on it
 * (`UnaryCall`, `StreamCall`, both a `GrpcCall` on a `Session`).
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
import type * as http2 from "node:http2";
import { GrpcStatus, encodeFrame, formatGrpcTimeout, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";
import type { CallConnection, Metadata } from "./CallConnection.js";
import { CallError } from "./CallStatus.js";
import type { ConnectionOptions } from "./ConnectionOptions.js";
import type { GrpcCall } from "./GrpcCall.js";
import { Session } from "./Session.js";
import { StreamCall, type Call, type CallHandlers } from "./StreamCall.js";
import { UnaryCall } from "./UnaryCall.js";

export type { Metadata } from "./CallConnection.js";

/** Stream IDs are 31-bit and never reused: a session is retired well before they run out. */
const RETIRE_AFTER_STREAM_ID = 2 ** 31 - 1 - 2 ** 20;

/** Connection is one endpoint's connection; see the module comment. */
export class Connection implements CallConnection {
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
        // Whatever the aborter chose (an Error or not) is passed on unchanged, as a rethrow.
        const reason: unknown = signal?.reason;
        reject(reason);
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
