/**
 * MessageFramer: splits an HTTP/2 DATA byte stream into gRPC messages.
 *
 * Each gRPC message is framed as `[u8 compressed flag][u32 BE length][message]`, and frames
 * straddle DATA chunks freely. The length is checked against the limit as soon as the
 * 5-byte prefix is in, so an oversized message is refused before its body is buffered.
 */
import { GrpcStatus } from "@etcd-ts/api";
import { StatusError } from "./StatusError.js";

/** FRAME_HEADER_SIZE is the size of the gRPC message prefix. */
export const FRAME_HEADER_SIZE = 5;

/** A framed message: its bytes and whether the sender compressed them. */
export interface FramedMessage {
  readonly compressed: boolean;
  readonly bytes: Uint8Array;
}

/** MessageFramer accumulates chunks and yields whole messages. */
export class MessageFramer {
  private header = new Uint8Array(FRAME_HEADER_SIZE);
  private headerFill = 0;
  private body: Uint8Array | undefined;
  private bodyFill = 0;
  private compressed = false;

  constructor(private readonly maxMessageSize: number) {}

  /** push consumes a chunk and returns the messages it completed (throws StatusError if one is too big). */
  push(chunk: Uint8Array): FramedMessage[] {
    const out: FramedMessage[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.body === undefined) {
        // Fast path: a whole frame inside this chunk, no copy of the body.
        if (this.headerFill === 0 && chunk.length - pos >= FRAME_HEADER_SIZE) {
          const length = readLength(chunk, pos + 1);
          this.check(length);
          if (chunk.length - pos - FRAME_HEADER_SIZE >= length) {
            out.push({ compressed: chunk[pos] === 1, bytes: chunk.subarray(pos + FRAME_HEADER_SIZE, pos + FRAME_HEADER_SIZE + length) });
            pos += FRAME_HEADER_SIZE + length;
            continue;
          }
        }
        const take = Math.min(FRAME_HEADER_SIZE - this.headerFill, chunk.length - pos);
        this.header.set(chunk.subarray(pos, pos + take), this.headerFill);
        this.headerFill += take;
        pos += take;
        if (this.headerFill < FRAME_HEADER_SIZE) break;
        const length = readLength(this.header, 1);
        this.check(length);
        this.compressed = this.header[0] === 1;
        this.body = new Uint8Array(length);
        this.bodyFill = 0;
      }
      const take = Math.min(this.body.length - this.bodyFill, chunk.length - pos);
      this.body.set(chunk.subarray(pos, pos + take), this.bodyFill);
      this.bodyFill += take;
      pos += take;
      if (this.bodyFill === this.body.length) {
        out.push({ compressed: this.compressed, bytes: this.body });
        this.body = undefined;
        this.headerFill = 0;
      }
    }
    return out;
  }

  /** partial tells whether a message has begun but not ended (a truncated stream if it ends now). */
  get partial(): boolean {
    return this.headerFill > 0 || this.body !== undefined;
  }

  private check(length: number): void {
    if (length > this.maxMessageSize) {
      throw new StatusError(GrpcStatus.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${length} vs. ${this.maxMessageSize})`);
    }
  }
}

function readLength(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

/** frameMessage prefixes a message for sending (never compressed). */
export function frameMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, FRAME_HEADER_SIZE);
  return out;
}
