/**
 * GrpcDeframer: the receiving half of gRPC's message framing, with the one policy every
 * peer of ours (server, client, load generator, test probes) applies to what it receives.
 *
 * Frames (`[u8 flag][u32 BE length][message]`, see {@link framePrefix}) straddle HTTP/2 DATA
 * chunks freely. A message that lies within one chunk is handed out as a view of that chunk
 * (no copy); one that straddles chunks is assembled into a buffer of exactly its size.
 *
 * The policy, with grpc-go's texts (etcd's clients see those from etcd, and the server's
 * hardening tests pin them):
 *  - a length above `maxMessageSize` is RESOURCE_EXHAUSTED `grpc: received message larger
 *    than max (<length> vs. <max>)`, decided as soon as the prefix is in, so nothing is
 *    allocated for the oversized body;
 *  - a flag of 1 (compressed) is INTERNAL `grpc: compressed flag set with identity or empty
 *    encoding`, since no compression is ever negotiated; any other flag but 0 is INTERNAL
 *    `grpc: received unexpected payload format <flag>`. Both are decided when the message is
 *    complete (a compressed message cut short is a truncated stream, not a compressed one);
 *  - a stream that ends in the middle of a frame is INTERNAL `unexpected EOF` (grpc-go's rule
 *    for streams on either side; a server's unary call ends instead with UNKNOWN, see
 *    {@link GrpcDeframer.partial});
 *  - the first error ends the deframer: the messages completed before it (in the same chunk
 *    too) have been delivered, everything after it is ignored.
 *
 * What it does not do: decompress, decode the messages, or send a status; the caller turns a
 * {@link GrpcWireStatus} into its own error type and ends the stream.
 */
import { GrpcStatus, type GrpcStatusCode } from "../grpcStatus.js";
import { GRPC_FRAME_HEADER_SIZE } from "./GrpcFrame.js";

/** GrpcWireStatus is the status a stream must end with because of what its framing carried. */
export interface GrpcWireStatus {
  readonly code: GrpcStatusCode;
  /** message is grpc-go's text for the same fault. */
  readonly message: string;
}

/** UNEXPECTED_EOF is the status of a stream cut in the middle of a frame. */
const UNEXPECTED_EOF: GrpcWireStatus = Object.freeze({ code: GrpcStatus.INTERNAL, message: "unexpected EOF" });

const readLength = (bytes: Uint8Array, at: number): number => ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;

/**
 * GrpcDeframer cuts one stream's received bytes into messages and hands each uncompressed
 * message to `onMessage`, in order, synchronously from {@link GrpcDeframer.push}. The view
 * handed out may share memory with the pushed chunk: copy it to keep it past the chunk's life.
 */
export class GrpcDeframer {
  /** The prefix being assembled across chunks (allocated only when one straddles). */
  private header: Uint8Array | undefined;
  private headerFill = 0;
  private body: Uint8Array | undefined;
  private bodyFill = 0;
  private flag = 0;
  private failure: GrpcWireStatus | undefined;

  /**
   * @param onMessage receives each whole uncompressed message.
   * @param maxMessageSize is the largest message length accepted, in bytes.
   */
  constructor(
    private readonly onMessage: (message: Uint8Array) => void,
    readonly maxMessageSize: number,
  ) {}

  /**
   * push consumes one chunk: `onMessage` runs for every message it completes. It returns the
   * status that stopped the deframer if it stopped in this chunk or earlier (see
   * {@link GrpcDeframer.error}); once stopped, chunks are ignored.
   */
  push(chunk: Uint8Array): GrpcWireStatus | undefined {
    const length = chunk.length;
    let pos = 0;
    while (pos < length && this.failure === undefined) {
      if (this.body === undefined) {
        // The common case: a whole frame inside this chunk, handed out without a copy.
        if (this.headerFill === 0 && length - pos >= GRPC_FRAME_HEADER_SIZE) {
          const size = readLength(chunk, pos + 1);
          if (!this.accepts(size)) break;
          if (length - pos - GRPC_FRAME_HEADER_SIZE >= size) {
            const flag = chunk[pos]!;
            const start = pos + GRPC_FRAME_HEADER_SIZE;
            pos = start + size;
            this.deliver(flag, chunk.subarray(start, pos));
            continue;
          }
        }
        const header = (this.header ??= new Uint8Array(GRPC_FRAME_HEADER_SIZE));
        const take = Math.min(GRPC_FRAME_HEADER_SIZE - this.headerFill, length - pos);
        header.set(chunk.subarray(pos, pos + take), this.headerFill);
        this.headerFill += take;
        pos += take;
        if (this.headerFill < GRPC_FRAME_HEADER_SIZE) break;
        const size = readLength(header, 1);
        if (!this.accepts(size)) break;
        this.headerFill = 0;
        this.flag = header[0]!;
        if (size === 0) {
          this.deliver(this.flag, new Uint8Array(0));
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
        this.deliver(this.flag, message);
      }
    }
    return this.failure;
  }

  /** error is the status that stopped the deframer (oversized or compressed frame), if one did. */
  get error(): GrpcWireStatus | undefined {
    return this.failure;
  }

  /** partial tells whether a frame has begun and not ended: the stream is truncated if it ends now. */
  get partial(): boolean {
    return this.headerFill > 0 || this.body !== undefined;
  }

  /**
   * end is the framing's verdict on a stream whose sender has finished: the error that
   * stopped the deframer, else INTERNAL `unexpected EOF` when a frame was cut short, else
   * undefined (the stream ended on a frame boundary).
   */
  end(): GrpcWireStatus | undefined {
    return this.failure ?? (this.partial ? UNEXPECTED_EOF : undefined);
  }

  private accepts(size: number): boolean {
    if (size <= this.maxMessageSize) return true;
    this.failure = { code: GrpcStatus.RESOURCE_EXHAUSTED, message: `grpc: received message larger than max (${size} vs. ${this.maxMessageSize})` };
    return false;
  }

  private deliver(flag: number, message: Uint8Array): void {
    if (flag === 0) this.onMessage(message);
    else if (flag === 1) this.failure = { code: GrpcStatus.INTERNAL, message: "grpc: compressed flag set with identity or empty encoding" };
    else this.failure = { code: GrpcStatus.INTERNAL, message: `grpc: received unexpected payload format ${flag}` };
  }
}
