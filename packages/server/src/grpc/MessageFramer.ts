/**
 * MessageFramer: splits an HTTP/2 DATA byte stream into gRPC messages.
 *
 * Each gRPC message is framed as `[u8 compressed flag][u32 BE length][message]`, and frames
 * straddle DATA chunks freely. The length is checked against the limit as soon as the
 * 5-byte prefix is in, so an oversized message is refused before its body is buffered.
 *
 * A frame that cannot be taken (too large) does not throw: the messages completed before it
 * in the same chunk are still returned (grpc-go serves a unary call's first message whatever
 * follows it), `error` is set and every later byte is ignored.
 */
import { GrpcStatus } from "@etcd-ts/api";
import { StatusError } from "./StatusError.js";

/** FRAME_HEADER_SIZE is the size of the gRPC message prefix. */
export const FRAME_HEADER_SIZE = 5;

/** A framed message: its bytes and its flag byte (0: uncompressed, 1: compressed, others invalid). */
export interface FramedMessage {
  readonly flag: number;
  readonly bytes: Uint8Array;
}

/** MessageFramer accumulates chunks and yields whole messages. */
export class MessageFramer {
  private header = new Uint8Array(FRAME_HEADER_SIZE);
  private headerFill = 0;
  private body: Uint8Array | undefined;
  private bodyFill = 0;
  private flag = 0;
  /** error is set once a frame was refused (ResourceExhausted); the framer takes nothing after it. */
  error: StatusError | undefined;

  constructor(private readonly maxMessageSize: number) {}

  /** push consumes a chunk and returns the messages it completed (see `error` for a refused frame). */
  push(chunk: Uint8Array): FramedMessage[] {
    const out: FramedMessage[] = [];
    let pos = 0;
    while (pos < chunk.length && this.error === undefined) {
      if (this.body === undefined) {
        // Fast path: a whole frame inside this chunk, no copy of the body.
        if (this.headerFill === 0 && chunk.length - pos >= FRAME_HEADER_SIZE) {
          const length = readLength(chunk, pos + 1);
          if (!this.check(length)) break;
          if (chunk.length - pos - FRAME_HEADER_SIZE >= length) {
            out.push({ flag: chunk[pos]!, bytes: chunk.subarray(pos + FRAME_HEADER_SIZE, pos + FRAME_HEADER_SIZE + length) });
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
        if (!this.check(length)) break;
        this.flag = this.header[0]!;
        this.body = new Uint8Array(length);
        this.bodyFill = 0;
      }
      const take = Math.min(this.body.length - this.bodyFill, chunk.length - pos);
      this.body.set(chunk.subarray(pos, pos + take), this.bodyFill);
      this.bodyFill += take;
      pos += take;
      if (this.bodyFill === this.body.length) {
        out.push({ flag: this.flag, bytes: this.body });
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

  private check(length: number): boolean {
    if (length <= this.maxMessageSize) return true;
    this.error = new StatusError(GrpcStatus.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${length} vs. ${this.maxMessageSize})`);
    return false;
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
