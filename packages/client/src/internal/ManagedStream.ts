/**
 * ManagedStream: one long-lived bidi stream (Watch, LeaseKeepAlive) kept open on the pinned
 * endpoint for as long as its owner wants one, reopened after every break.
 *
 * The owner says whether it wants a stream (`wanted`), what to send when one opens
 * (`onOpen`), and hears responses (`onMessage`) and breaks (`onDown`). This class does the
 * rest, the same way for every owner:
 *  - one stream at a time; a stream opened for a request that was withdrawn meanwhile
 *    (`stop()`, or the owner no longer wanting one) is cancelled unused — a generation
 *    number tells stale openings and stale callbacks from current ones;
 *  - after a break it reopens at once the first time, then with the transport's growing
 *    backoff until a stream gets an answer (`healthy()`);
 *  - a break tells the transport: a lost connection marks the endpoint failed (so the next
 *    stream goes to another member), an auth error drops the token (so the next stream gets
 *    a fresh one);
 *  - `stop()` closes the stream and any pending reopen; the transport's close() clears the
 *    timers, so nothing here outlives the client.
 *
 * What it does not do: it knows nothing of the owner's protocol; re-sending what the server
 * must know after a reopen (watch creations, lease renewals) is `onOpen`'s job.
 */
import { AuthOldRevisionError, EtcdError, GrpcStatus, InvalidAuthTokenError, errorFromStatus } from "@etcd-ts/api";
import type { MethodDefinition, PartialMessage } from "@etcd-ts/api";
import type { Call } from "./StreamCall.js";
import type { Transport } from "./Transport.js";

/** StreamOwner is what a managed stream needs from its owner. */
export interface StreamOwner<Res> {
  /** wanted reports whether a stream should be open now. */
  wanted(): boolean;
  /** onOpen runs when a stream is up: send what the server must know. */
  onOpen(): void;
  /** onMessage receives each response of the current stream. */
  onMessage(message: Res): void;
  /** onDown runs when the current stream broke (not after `stop()`); a reopen is scheduled after it. */
  onDown(error: EtcdError): void;
}

/** ManagedStream keeps one stream of `method` open for an owner; see the module comment. */
export class ManagedStream<Req, Res> {
  private call: Call<Req> | undefined;
  private endpoint = "";
  private opening = false;
  private generation = 0;
  private failures = 0;
  private cancelReopen: (() => void) | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly method: MethodDefinition<Req, Res>,
    private readonly owner: StreamOwner<Res>,
  ) {}

  /** isOpen reports whether a stream is up (requests can be written). */
  get isOpen(): boolean {
    return this.call !== undefined;
  }

  /** write sends a request on the current stream; false when none is open. */
  write(request: PartialMessage<Req>): boolean {
    if (this.call === undefined) return false;
    this.call.write(request);
    return true;
  }

  /** ensure opens a stream if wanted and none is open, opening, or waiting to reopen. */
  ensure(): void {
    if (this.call !== undefined || this.opening || this.cancelReopen !== undefined || !this.owner.wanted()) return;
    this.opening = true;
    const generation = ++this.generation;
    const current = (): boolean => generation === this.generation && this.owner.wanted();
    this.transport
      .openStream(
        this.method,
        {
          onMessage: (message) => {
            if (generation === this.generation) this.owner.onMessage(message);
          },
          onEnd: (error) => {
            if (generation !== this.generation) return;
            this.down(error === undefined ? new EtcdError(GrpcStatus.UNAVAILABLE, `etcd client: ${this.method.originalName} stream ended by the server`) : error);
          },
        },
        { wanted: current },
      )
      .then(
        ({ call, endpoint }) => {
          this.opening = false;
          if (!current()) {
            call.cancel();
            this.ensure();
            return;
          }
          this.call = call;
          this.endpoint = endpoint;
          this.owner.onOpen();
        },
        () => {
          this.opening = false;
          if (generation === this.generation) this.scheduleReopen();
          else this.ensure();
        },
      );
  }

  /** healthy records that the current stream got a real answer: backoff and endpoint failures reset. */
  healthy(): void {
    this.failures = 0;
    this.transport.streamHealthy(this.endpoint);
  }

  /** restart drops the current stream as broken by `error` (e.g. the server refused its token) and reopens it. */
  restart(error: EtcdError): void {
    if (this.call === undefined) return;
    this.down(error);
  }

  /** stop closes the stream and any pending reopen; `ensure()` starts afresh. */
  stop(): void {
    this.generation++;
    const call = this.call;
    this.call = undefined;
    call?.cancel();
    this.cancelReopen?.();
    this.cancelReopen = undefined;
    this.failures = 0;
  }

  private down(error: { readonly code: number; readonly details?: string; readonly message: string }): void {
    this.generation++;
    const call = this.call;
    this.call = undefined;
    call?.cancel();
    const etcdError = error instanceof EtcdError ? error : errorFromStatus(error);
    if (etcdError instanceof InvalidAuthTokenError || etcdError instanceof AuthOldRevisionError) {
      this.transport.invalidateToken(this.transport.currentToken);
    } else {
      this.transport.streamFailed(this.endpoint, etcdError);
    }
    this.owner.onDown(etcdError);
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (this.transport.closed || this.cancelReopen !== undefined || !this.owner.wanted()) return;
    const delay = this.failures === 0 ? 0 : this.transport.backoffMs(this.failures);
    this.failures++;
    this.cancelReopen = this.transport.schedule(delay, () => {
      this.cancelReopen = undefined;
      this.ensure();
    });
  }
}
