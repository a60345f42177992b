/**
 * gRPC message framing: every message on an HTTP/2 stream is `[u8 compressed][u32 BE
 * length][message bytes]`, and frames straddle DATA chunks freely.
 *
 * `frameRequest` encodes a request straight into its frame (one allocation, one copy);
 * `MessageDeframer` (the base of every call) cuts the received byte stream back into
 * messages, handing out views of the received chunk when a message lies within one (no
 * copy) and assembling it otherwise.
 *
 * What it does not do: compression. The client never sends `grpc-accept-encoding`, so a
 * server must not compress; a compressed frame is reported to the caller as an error.
 */
import { ProtoWriter, type MessageCodec, type PartialMessage } from "@etcd-ts/api";

/** FRAME_HEADER_SIZE is the size of the prefix of every gRPC message. */
export const FRAME_HEADER_SIZE = 5;

/** MAX_RECEIVE_MESSAGE_SIZE is the largest message accepted: etcd's client default (math.MaxInt32). */
export const MAX_RECEIVE_MESSAGE_SIZE = 2 ** 31 - 1;

/** MessageTooLargeError: a frame announced a message above the limit (nothing was allocated for it). */
export class MessageTooLargeError extends Error {
  override readonly name = "MessageTooLargeError";
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`received message larger than max (${size} vs. ${limit})`);
  }
}

const writer = new ProtoWriter(64 * 1024);

/**
 * frameRequest encodes `message` with `codec`, prefixed by its gRPC frame header. Not
 * re-entrant (a shared scratch writer), which is fine: encoding never calls user code.
 */
export function frameRequest<T>(codec: MessageCodec<T>, message: PartialMessage<T>): Buffer {
  writer.pos = FRAME_HEADER_SIZE;
  codec.encodeTo(message, writer);
  const bytes = writer.finishCopy();
  const frame = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  frame[0] = 0;
  frame.writeUInt32BE(frame.length - FRAME_HEADER_SIZE, 1);
  return frame;
}

const readLength = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/**
 * MessageDeframer accumulates received chunks and hands each whole message to `onFrame`,
 * in order. A subclass (a call) implements `onFrame`; no per-message allocation happens for
 * a message that lies within one chunk.
 */
export abstract class MessageDeframer {
  /** maxMessageSize bounds the messages accepted; `push` throws {@link MessageTooLargeError} above it. */
  protected maxMessageSize = MAX_RECEIVE_MESSAGE_SIZE;
  /** The frame header being assembled across chunks (allocated only when one straddles). */
  private header: Uint8Array | undefined;
  private headerFill = 0;
  private body: Uint8Array | undefined;
  private bodyFill = 0;
  private compressed = false;

  /** onFrame receives one whole message and whether its sender compressed it. */
  protected abstract onFrame(message: Uint8Array, compressed: boolean): void;

  /**
   * push consumes one chunk; `onFrame` runs for every message it completes. It throws
   * {@link MessageTooLargeError} for a frame above the limit (the stream is then unusable).
   */
  push(chunk: Uint8Array): void {
    let pos = 0;
    const length = chunk.length;
    while (pos < length) {
      if (this.body === undefined) {
        if (this.headerFill === 0 && length - pos >= FRAME_HEADER_SIZE) {
          const size = readLength(chunk, pos + 1);
          if (size > this.maxMessageSize) throw new MessageTooLargeError(size, this.maxMessageSize);
          if (length - pos - FRAME_HEADER_SIZE >= size) {
            // The common case: the whole message is inside this chunk.
            const start = pos + FRAME_HEADER_SIZE;
            pos = start + size;
            this.onFrame(chunk.subarray(start, pos), chunk[start - FRAME_HEADER_SIZE] !== 0);
            continue;
          }
        }
        const header = (this.header ??= new Uint8Array(FRAME_HEADER_SIZE));
        const take = Math.min(FRAME_HEADER_SIZE - this.headerFill, length - pos);
        header.set(chunk.subarray(pos, pos + take), this.headerFill);
        this.headerFill += take;
        pos += take;
        if (this.headerFill < FRAME_HEADER_SIZE) return;
        this.headerFill = 0;
        this.compressed = header[0] !== 0;
        const size = readLength(header, 1);
        if (size > this.maxMessageSize) throw new MessageTooLargeError(size, this.maxMessageSize);
        if (size === 0) {
          this.onFrame(new Uint8Array(0), this.compressed);
          continue;
        }
        this.body = new Uint8Array(size);
        this.bodyFill = 0;
      }
      const take = Math.min(this.body.length - this.bodyFill, length - pos);
      this.body.set(chunk.subarray(pos, pos + take), this.bodyFill);
      this.bodyFill += take;
      pos += take;
      if (this.bodyFill === this.body.length) {
        const message = this.body;
        this.body = undefined;
        this.onFrame(message, this.compressed);
      }
    }
  }

  /** partial reports whether a message has begun and not ended (the stream was cut short). */
  get partial(): boolean {
    return this.headerFill > 0 || this.body !== undefined;
  }
}
