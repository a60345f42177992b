/**
 * InProcessChannel: @etcd-ts/client's {@link Channel} served by a {@link GrpcServer}'s own
 * handlers, with no socket and no HTTP/2 — the member as a client of itself, as Go's
 * `v3client` is (etcd's Lock and Election services, and an embedder's client).
 *
 * A call is looked up by method path among the registered handlers, its request decoded with
 * the method's codec and its response encoded with it (so a response a v3rpc codec passes
 * through pre-encoded stays as it is). The handler gets the call's metadata (the auth `token`)
 * as it would from gRPC, its deadline, and a signal that aborts on the client's cancel, at
 * the deadline (DEADLINE_EXCEEDED) and on `GrpcServer.abortAll()` (UNAVAILABLE). Errors are
 * the statuses a gRPC client would see (`toGrpcStatus`), an unknown path grpc-go's.
 *
 * What it does not do, like etcd's in-process client: the gRPC call observer (metrics) does
 * not hear these calls, and there is no message size limit (nothing crosses a wire). A stream
 * whose client paused, or that has 64 responses not yet delivered, reports a full buffer to
 * its handler (`send` returns false) until the responses are taken.
 */
import { GrpcStatus, ProtoDecodeError } from "@etcd-ts/api";
import { ChannelStatusError, type Channel, type ChannelCallOptions, type ChannelStatus, type ChannelStream, type ChannelStreamHandlers } from "@etcd-ts/client";
import type { CallContext, Route, StreamCall } from "./GrpcServer.js";
import { StatusError, toGrpcStatus } from "./StatusError.js";

/** What the channel needs of its server: the routes, the unknown-path status, the set of calls to abort on stop. */
export interface Routes {
  route(path: string): Route | undefined;
  unknownPath(path: string): ChannelStatusError;
  readonly active: Set<{ abort(reason: unknown): void }>;
}

/** Responses queued for a stream's client beyond which its handler is told to wait. */
const OUTBOX_MAX = 64;

/** The longest delay setTimeout takes (about 24.8 days). */
const MAX_TIMER_MS = 0x7fff_ffff;

function statusOf(error: unknown): ChannelStatusError {
  const { code, message } = toGrpcStatus(error);
  return new ChannelStatusError(code, message);
}

/** InProcessChannel carries a client's calls to the handlers of a GrpcServer; see the module comment. */
export class InProcessChannel implements Channel {
  constructor(private readonly routes: Routes) {}

  async unary(path: string, request: Uint8Array, options: ChannelCallOptions): Promise<Uint8Array> {
    const route = this.routes.route(path);
    if (route === undefined) throw this.routes.unknownPath(path);
    if (route.kind !== "unary") throw new ChannelStatusError(GrpcStatus.UNIMPLEMENTED, `${path} is a streaming method`);
    const call = new InProcessCall(options, this.routes.active);
    try {
      const decoded = decodeRequest(route, request);
      const response = await Promise.race([route.handler(decoded, call.context), call.aborted]);
      return route.method.responseType.encode(response);
    } catch (error) {
      throw statusOf(call.reason ?? error);
    } finally {
      call.end();
    }
  }

  stream(path: string, handlers: ChannelStreamHandlers, options: ChannelCallOptions): ChannelStream {
    const route = this.routes.route(path);
    if (route?.kind !== "stream") {
      const status = route === undefined ? this.routes.unknownPath(path) : { code: GrpcStatus.UNIMPLEMENTED, details: `${path} is a unary method` };
      queueMicrotask(() => handlers.onEnd(status));
      return { write() {}, end() {}, cancel() {}, pause() {}, resume() {} };
    }
    return new InProcessStream(route, handlers, new InProcessCall(options, this.routes.active));
  }
}

/** decodeRequest decodes a request as the gRPC server does, with its error texts. */
function decodeRequest(route: Route, bytes: Uint8Array): unknown {
  try {
    return route.method.requestDeserialize(bytes);
  } catch (error) {
    if (!(error instanceof ProtoDecodeError)) throw error;
    throw new StatusError(
      GrpcStatus.INTERNAL,
      route.kind === "unary" ? `grpc: error unmarshalling request: ${error.message}` : `grpc: failed to unmarshal the received message ${error.message}`,
    );
  }
}

/** One call's context and its ending: client cancel, deadline, server stop. */
class InProcessCall {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onClientAbort = (): void => this.abort(new StatusError(GrpcStatus.CANCELLED, "context canceled"));
  /** Why the call was ended early, if it was. */
  reason: unknown;
  /** Rejects when the call is ended early. */
  readonly aborted: Promise<never>;
  readonly context: CallContext;

  constructor(
    private readonly options: ChannelCallOptions,
    private readonly active: Set<{ abort(reason: unknown): void }>,
  ) {
    let rejectAborted: (reason: unknown) => void = () => undefined;
    this.aborted = new Promise<never>((_, reject) => (rejectAborted = reject));
    this.aborted.catch(() => undefined);
    this.controller.signal.addEventListener("abort", () => rejectAborted(this.controller.signal.reason), { once: true });
    const deadline = options.deadline === Infinity ? undefined : options.deadline;
    this.context = { metadata: options.metadata ?? {}, signal: this.controller.signal, deadline, peer: "in-process" };
    if (deadline !== undefined && deadline - Date.now() <= MAX_TIMER_MS) {
      this.timer = setTimeout(() => this.abort(new StatusError(GrpcStatus.DEADLINE_EXCEEDED, "context deadline exceeded")), Math.max(0, deadline - Date.now()));
    }
    if (options.signal.aborted) this.onClientAbort();
    else options.signal.addEventListener("abort", this.onClientAbort, { once: true });
    active.add(this);
  }

  /** abort ends the call early: its handler's signal aborts with `reason`. */
  abort(reason: unknown): void {
    if (this.controller.signal.aborted) return;
    this.reason = reason;
    this.controller.abort(reason);
  }

  /** end releases the call's timer and listeners; its signal aborts so the handler's waits end. */
  end(): void {
    clearTimeout(this.timer);
    this.options.signal.removeEventListener("abort", this.onClientAbort);
    this.active.delete(this);
    if (!this.controller.signal.aborted) this.controller.abort(new StatusError(GrpcStatus.CANCELLED, "call finished"));
  }
}

/** A streaming call: requests from the client to the handler, responses back, with a bounded outbox. */
class InProcessStream implements ChannelStream {
  private readonly inbox: unknown[] = [];
  private inboxWaiter: ((result: IteratorResult<unknown>) => void) | undefined;
  private requestsEnded = false;
  private readonly outbox: Uint8Array[] = [];
  private flushing = false;
  private paused = false;
  private drainWaiters: (() => void)[] = [];
  /** The end to report once the outbox is delivered: set when the handler finished. */
  private ending: { status: ChannelStatus | undefined } | undefined;
  /** No more reports to the client: it cancelled, or the end was delivered. */
  private silent = false;

  constructor(
    private readonly route: Extract<Route, { kind: "stream" }>,
    private readonly handlers: ChannelStreamHandlers,
    private readonly call: InProcessCall,
  ) {
    call.context.signal.addEventListener("abort", () => this.finish(statusOf(call.reason ?? call.context.signal.reason)), { once: true });
    void this.run();
  }

  private async run(): Promise<void> {
    try {
      await Promise.race([this.route.handler(this.streamCall()), this.call.aborted]);
      this.finish(undefined);
    } catch (error) {
      this.finish(statusOf(this.call.reason ?? error));
    }
  }

  private streamCall(): StreamCall<unknown, unknown> {
    const next = (): Promise<IteratorResult<unknown>> => {
      if (this.inbox.length > 0) return Promise.resolve({ done: false, value: this.inbox.shift() });
      if (this.requestsEnded || this.ending !== undefined) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => (this.inboxWaiter = resolve));
    };
    const iterator: AsyncIterator<unknown> = { next, return: () => Promise.resolve({ done: true, value: undefined }) };
    return {
      ...this.call.context,
      send: (response) => this.send(response),
      drained: () => this.drained(),
      [Symbol.asyncIterator]: () => iterator,
    };
  }

  write(message: Uint8Array): void {
    if (this.ending !== undefined || this.requestsEnded) return;
    let request: unknown;
    try {
      request = decodeRequest(this.route, message);
    } catch (error) {
      this.call.abort(error);
      return;
    }
    const waiter = this.inboxWaiter;
    this.inboxWaiter = undefined;
    if (waiter !== undefined) waiter({ done: false, value: request });
    else this.inbox.push(request);
  }

  end(): void {
    this.requestsEnded = true;
    const waiter = this.inboxWaiter;
    this.inboxWaiter = undefined;
    waiter?.({ done: true, value: undefined });
  }

  cancel(): void {
    this.silent = true;
    this.call.abort(new StatusError(GrpcStatus.CANCELLED, "context canceled"));
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  private send(response: unknown): boolean {
    if (this.ending !== undefined) return false;
    this.outbox.push(this.route.method.responseType.encode(response));
    this.schedule();
    return !this.paused && this.outbox.length < OUTBOX_MAX;
  }

  private drained(): Promise<void> {
    if (this.ending !== undefined || (!this.paused && this.outbox.length < OUTBOX_MAX)) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** finish records the call's end (once); it reaches the client after the responses before it. */
  private finish(status: ChannelStatus | undefined): void {
    if (this.ending !== undefined) return;
    this.ending = { status };
    this.call.end();
    const waiter = this.inboxWaiter;
    this.inboxWaiter = undefined;
    waiter?.({ done: true, value: undefined });
    this.releaseDrainWaiters();
    // An error ends the call at once, as a gRPC status would; responses queued before it are dropped.
    if (status !== undefined) this.outbox.length = 0;
    this.schedule();
  }

  private schedule(): void {
    if (this.flushing) return;
    this.flushing = true;
    queueMicrotask(() => this.flush());
  }

  /** flush delivers queued responses (unless paused), then the end. */
  private flush(): void {
    this.flushing = false;
    if (this.silent) return;
    while (!this.paused && this.outbox.length > 0 && !this.silent) this.handlers.onMessage(this.outbox.shift()!);
    if (this.outbox.length < OUTBOX_MAX && !this.paused) this.releaseDrainWaiters();
    if (this.ending !== undefined && this.outbox.length === 0 && !this.silent) {
      this.silent = true;
      this.handlers.onEnd(this.ending.status);
    }
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
