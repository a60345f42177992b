/**
 * CallConnection: what the Transport needs of the way to one endpoint — a dial, unary calls
 * and streams — whether that is an HTTP/2 connection (`Connection.ts`) or an in-process
 * channel (`ChannelConnection.ts`). Retry and failover stay the Transport's.
 */
import type { MethodDefinition, PartialMessage } from "@etcd-ts/api";
import type { Call, CallHandlers } from "./StreamCall.js";

/** Metadata is a call's custom headers (lower-case names), e.g. `{ token }`. */
export type Metadata = Readonly<Record<string, string>>;

/** CallConnection is one endpoint's way to make calls; see the module comment. */
export interface CallConnection {
  /** isReady reports whether calls can be made now. */
  readonly isReady: boolean;
  /** connect resolves true once ready, false when the dial fails or `until` (epoch ms) passes. */
  connect(until: number, signal?: AbortSignal): Promise<boolean>;
  /** unary makes one unary call; it rejects with a CallError. `deadline` is epoch ms (Infinity: none). */
  unary<Req, Res>(method: MethodDefinition<Req, Res>, request: PartialMessage<Req>, metadata: Metadata | undefined, deadline: number, signal?: AbortSignal): Promise<Res>;
  /** stream opens a streaming call; it throws a CallError (UNAVAILABLE, not sent) when not ready. */
  stream<Req, Res>(method: MethodDefinition<Req, Res>, metadata: Metadata | undefined, handlers: CallHandlers<Res>, deadline?: number, signal?: AbortSignal): Call<Req>;
  /** close ends every call (UNAVAILABLE) and releases what the connection holds. */
  close(): void;
}
