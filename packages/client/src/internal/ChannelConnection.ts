/**
 * ChannelConnection: a {@link CallConnection} over a {@link Channel} — the client's calls
 * encoded with @etcd-ts/api's codecs and handed to the channel by method path, with no
 * socket. It is always ready. The deadline and the abort signal are enforced here as well
 * as by the channel (DEADLINE_EXCEEDED, CANCELLED, and the channel call cancelled), so a
 * call ends in time whatever the channel does. `close()` ends the calls in flight with
 * UNAVAILABLE, as a lost connection would.
 */
import { GrpcStatus, isGrpcStatusCode, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";
import { isChannelStatus, type Channel, type ChannelStatus, type ChannelStream } from "../Channel.js";
import type { CallConnection, Metadata } from "./CallConnection.js";
import { CallError } from "./CallStatus.js";
import type { Call, CallHandlers } from "./StreamCall.js";

/** callErrorOf turns what a channel reported into the transport's error. */
function callErrorOf(status: unknown): CallError {
  if (isChannelStatus(status)) return new CallError(isGrpcStatusCode(status.code) ? status.code : GrpcStatus.UNKNOWN, status.details);
  return new CallError(GrpcStatus.INTERNAL, `in-process channel: ${status instanceof Error ? status.message : String(status)}`);
}

/** One call in flight: how to end it from this side. */
interface OpenCall {
  fail(error: CallError): void;
}

/** ChannelConnection makes the client's calls on a channel; see the module comment. */
export class ChannelConnection implements CallConnection {
  private readonly open = new Set<OpenCall>();
  private closed = false;

  constructor(private readonly channel: Channel) {}

  get isReady(): boolean {
    return !this.closed;
  }

  connect(): Promise<boolean> {
    return Promise.resolve(!this.closed);
  }

  unary<Req, Res>(method: MethodDefinition<Req, Res>, request: PartialMessage<Req>, metadata: Metadata | undefined, deadline: number, signal?: AbortSignal): Promise<Res> {
    if (this.closed) return Promise.reject(new CallError(GrpcStatus.UNAVAILABLE, "the client is closed", true));
    if (deadline !== Infinity && deadline <= Date.now()) {
      return Promise.reject(new CallError(GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded before the call started", true));
    }
    return new Promise<Res>((resolve, reject) => {
      const controller = new AbortController();
      let settled = false;
      const call: OpenCall = { fail: (error) => settle(() => reject(error), true) };
      const bounds = this.bind(deadline, signal, call);
      const settle = (outcome: () => void, cancel: boolean): void => {
        if (settled) return;
        settled = true;
        bounds();
        this.open.delete(call);
        if (cancel) controller.abort();
        outcome();
      };
      this.open.add(call);
      this.channel.unary(method.path, method.requestType.encode(request), { metadata, deadline, signal: controller.signal }).then(
        (bytes) => {
          let response: Res;
          try {
            response = method.responseType.decode(bytes);
          } catch (error) {
            settle(() => reject(new CallError(GrpcStatus.INTERNAL, `cannot decode ${method.responseType.typeName}: ${(error as Error).message}`)), false);
            return;
          }
          settle(() => resolve(response), false);
        },
        (status: unknown) => settle(() => reject(callErrorOf(status)), false),
      );
    });
  }

  stream<Req, Res>(method: MethodDefinition<Req, Res>, metadata: Metadata | undefined, handlers: CallHandlers<Res>, deadline = Infinity, signal?: AbortSignal): Call<Req> {
    if (this.closed) throw new CallError(GrpcStatus.UNAVAILABLE, "the client is closed", true);
    if (deadline !== Infinity && deadline <= Date.now()) throw new CallError(GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded before the call started", true);
    const controller = new AbortController();
    let finished = false;
    const finish = (error: CallError | undefined, cancel: boolean): void => {
      if (finished) return;
      finished = true;
      bounds();
      this.open.delete(call);
      if (cancel) {
        controller.abort();
        channelStream.cancel(); // (never before it is assigned: the channel reports nothing synchronously)
      }
      handlers.onEnd(error);
    };
    const call: OpenCall = { fail: (error) => queueMicrotask(() => finish(error, true)) };
    const bounds = this.bind(deadline, signal, call);
    this.open.add(call);
    const channelStream: ChannelStream = this.channel.stream(
      method.path,
      {
        onMessage: (bytes) => {
          if (finished) return;
          let message: Res;
          try {
            message = method.responseType.decode(bytes);
          } catch (error) {
            finish(new CallError(GrpcStatus.INTERNAL, `cannot decode ${method.responseType.typeName}: ${(error as Error).message}`), true);
            return;
          }
          handlers.onMessage(message);
        },
        onEnd: (status: ChannelStatus | undefined) => finish(status === undefined ? undefined : callErrorOf(status), false),
      },
      { metadata, deadline, signal: controller.signal },
    );
    return {
      write: (message) => {
        if (!finished) channelStream.write(method.requestType.encode(message));
      },
      end: () => {
        if (!finished) channelStream.end();
      },
      cancel: () => {
        if (finished) return;
        finished = true;
        bounds();
        this.open.delete(call);
        controller.abort();
        channelStream.cancel();
      },
      pause: () => channelStream.pause(),
      resume: () => channelStream.resume(),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const call of [...this.open]) call.fail(new CallError(GrpcStatus.UNAVAILABLE, "the client is closed"));
    this.open.clear();
  }

  /** bind arms the deadline and the abort signal of `call`; returns their remover. */
  private bind(deadline: number, signal: AbortSignal | undefined, call: OpenCall): () => void {
    const timer = deadline === Infinity ? undefined : setTimeout(() => call.fail(new CallError(GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded")), Math.max(0, deadline - Date.now()));
    const onAbort = (): void => call.fail(new CallError(GrpcStatus.CANCELLED, "call aborted"));
    if (signal?.aborted) queueMicrotask(onAbort);
    else signal?.addEventListener("abort", onAbort, { once: true });
    return () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
  }
}
