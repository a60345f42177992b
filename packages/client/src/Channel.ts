/**
 * Channel: the way a {@link Client} reaches a server without a socket. A channel carries
 * gRPC calls by method path (`/etcdserverpb.KV/Range`) with each message as its protobuf
 * encoding (no gRPC length prefix), plus the call's metadata (the auth `token`), deadline and
 * cancellation; it answers with encoded responses and a gRPC status.
 *
 * A server that embeds a client of itself implements it by calling its registered handlers
 * directly (`@etcd-ts/server`'s `GrpcServer.channel()` does); `new Client({ channel })`
 * then gives the whole typed client — KV, Watch, Lease, Auth, ... — over it, as Go's
 * `v3client` does for etcd's own Lock and Election services.
 *
 * What a channel is not: a connection. It has no endpoints, no dialing, no TLS, no keepalive;
 * the client treats it as one endpoint that is always connected. The client enforces the
 * deadline and the abort signal on its side too, so a channel that ignored them would still
 * end the call in time (but its handler would keep running).
 */

/** ChannelMetadata is a call's metadata: lower-case names, e.g. `{ token }`. */
export type ChannelMetadata = Readonly<Record<string, string>>;

/** ChannelCallOptions bound one call on a channel. */
export interface ChannelCallOptions {
  /** metadata travels with the call as the gRPC metadata (headers) would. */
  readonly metadata: ChannelMetadata | undefined;
  /** deadline is epoch ms (`Infinity`: none); the server ends the call with DEADLINE_EXCEEDED then. */
  readonly deadline: number;
  /** signal cancels the call: the server's handler sees its call cancelled; nothing more is reported. */
  readonly signal: AbortSignal;
}

/** ChannelStatus is how a call that did not succeed ends: a gRPC status code and the server's text. */
export interface ChannelStatus {
  /** code is the numeric gRPC status code (never 0). */
  readonly code: number;
  /** details is the status message exactly as the server's handler gave it. */
  readonly details: string;
}

/** ChannelStreamHandlers hear a streaming call's responses and its end. */
export interface ChannelStreamHandlers {
  /** onMessage receives each encoded response, in order, never synchronously from `stream()`. */
  onMessage(message: Uint8Array): void;
  /** onEnd runs once: `undefined` for status OK, else the status. Not after `cancel()` or an abort. */
  onEnd(status: ChannelStatus | undefined): void;
}

/** ChannelStream is the request side of an open streaming call. */
export interface ChannelStream {
  /** write sends one encoded request (ignored once the call ended). */
  write(message: Uint8Array): void;
  /** end half-closes: no more requests. */
  end(): void;
  /** cancel ends the call from the client's side (status CANCELLED for the handler); the handlers hear nothing more. */
  cancel(): void;
  /** pause holds responses back (the server's handler then sees a full buffer, as with HTTP/2 flow control). */
  pause(): void;
  /** resume delivers responses again after `pause()`. */
  resume(): void;
}

/** Channel carries gRPC calls to a server in the same process; see the module comment. */
export interface Channel {
  /**
   * unary makes a unary call: resolves with the encoded response, or rejects with a
   * {@link ChannelStatus} (an object with `code` and `details`; an Error that has both is fine).
   */
  unary(path: string, request: Uint8Array, options: ChannelCallOptions): Promise<Uint8Array>;
  /** stream opens a streaming call (server-streaming: write one request, then end; or bidi). */
  stream(path: string, handlers: ChannelStreamHandlers, options: ChannelCallOptions): ChannelStream;
}

/** ChannelStatusError is a {@link ChannelStatus} as an Error: what a channel rejects a unary call with. */
export class ChannelStatusError extends Error implements ChannelStatus {
  /** Creates the error for status `code` with `details` as its message. */
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(details);
    this.name = "ChannelStatusError";
  }
}

/** isChannelStatus tells a status a channel rejected with from any other thrown value. */
export function isChannelStatus(value: unknown): value is ChannelStatus {
  if (typeof value !== "object" || value === null) return false;
  const { code, details } = value as { code?: unknown; details?: unknown };
  return typeof code === "number" && typeof details === "string";
}
