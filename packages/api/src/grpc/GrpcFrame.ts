/**
 * GrpcFrame: the sending half of gRPC's message framing. On an HTTP/2 stream every gRPC
 * message travels as a 5-byte prefix — a flag byte (0: as is, 1: compressed) and the
 * message's length as a big-endian u32 — followed by the message's bytes
 * (PROTOCOL-HTTP2.md, "Length-Prefixed-Message").
 *
 * Three ways to frame: {@link framePrefix} alone (for a caller that writes the body itself,
 * or a test that must lie about the length), {@link frameMessage} for bytes already encoded
 * (prefix and body in one new buffer), and {@link encodeFrame}, which encodes a message
 * straight into its frame (one allocation, one copy). The receiving half is
 * {@link GrpcDeframer}.
 *
 * What it does not do: compress. Nothing here sets the compressed flag unless told to; etcd
 * and our peers negotiate no compression.
 */
import type { MessageCodec, PartialMessage } from "../wire/codec.js";
import { ProtoWriter } from "../wire/ProtoWriter.js";

/** GRPC_FRAME_HEADER_SIZE is the size of the prefix before every gRPC message: flag byte and u32 length. */
export const GRPC_FRAME_HEADER_SIZE = 5;

/** GRPC_MAX_FRAME_LENGTH is the largest length the u32 of a prefix can say (2^32 - 1). */
export const GRPC_MAX_FRAME_LENGTH = 0xffff_ffff;

/**
 * framePrefix returns the 5-byte prefix of a message of `length` bytes with flag byte `flag`
 * (0 unless said otherwise; 1 means compressed, other values are invalid on the wire and
 * only a test of a peer's defences sends them). It throws a RangeError for a length or flag
 * that does not fit its field.
 */
export function framePrefix(length: number, flag = 0): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > GRPC_MAX_FRAME_LENGTH) throw new RangeError(`gRPC frame length out of range: ${length}`);
  if (!Number.isInteger(flag) || flag < 0 || flag > 0xff) throw new RangeError(`gRPC frame flag out of range: ${flag}`);
  const prefix = Buffer.allocUnsafe(GRPC_FRAME_HEADER_SIZE);
  prefix[0] = flag;
  prefix.writeUInt32BE(length, 1);
  return prefix;
}

/** frameMessage returns one uncompressed gRPC frame: the prefix and a copy of `message`, in one new buffer. */
export function frameMessage(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(GRPC_FRAME_HEADER_SIZE + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, GRPC_FRAME_HEADER_SIZE);
  return frame;
}

const frameWriter = new ProtoWriter(64 * 1024);

/**
 * encodeFrame encodes `message` with `codec` directly after a gRPC prefix and returns the
 * uncompressed frame; the message's own length is `frame.length - GRPC_FRAME_HEADER_SIZE`.
 * One allocation of exactly the frame's size. Not re-entrant (a shared scratch writer),
 * which is safe because encoding is synchronous and never calls user code.
 */
export function encodeFrame<T>(codec: MessageCodec<T>, message: PartialMessage<T>): Buffer {
  frameWriter.pos = GRPC_FRAME_HEADER_SIZE;
  codec.encodeTo(message, frameWriter);
  const bytes = frameWriter.finishCopy();
  const frame = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  frame[0] = 0;
  frame.writeUInt32BE(frame.length - GRPC_FRAME_HEADER_SIZE, 1);
  return frame;
}
