/**
 * The contract every generated message codec fulfils, and the helpers they share.
 */
import { ProtoReader } from "./ProtoReader.js";
import { ProtoWriter } from "./ProtoWriter.js";

/**
 * PartialMessage is what `encode` and `create` accept: any field may be left out and is
 * then its proto3 default (zero, empty, absent). Nested messages are partial too.
 */
export type PartialMessage<T> = T extends Uint8Array
  ? T
  : T extends bigint | number | string | boolean
    ? T
    : T extends readonly (infer E)[]
      ? readonly PartialMessage<E>[]
      : T extends { $case: string }
        ? { [K in keyof T]: K extends "$case" ? T[K] : PartialMessage<T[K]> }
        : T extends object
          ? { [K in keyof T]?: PartialMessage<T[K]> | undefined }
          : T;

/** MessageCodec encodes and decodes one message type; generated for every message. */
export interface MessageCodec<T> {
  /** typeName is the fully qualified protobuf name, e.g. `etcdserverpb.RangeRequest`. */
  readonly typeName: string;
  /** create returns a complete message: the given fields, defaults for the rest. */
  create(init?: PartialMessage<T>): T;
  /** encode returns the wire bytes of a message. */
  encode(message: PartialMessage<T>): Uint8Array;
  /** encodeTo appends the message's fields (no length prefix) to a writer. */
  encodeTo(message: PartialMessage<T>, writer: ProtoWriter): void;
  /** decode parses wire bytes; throws ProtoDecodeError on malformed input. */
  decode(bytes: Uint8Array): T;
  /** decodeFrom parses the fields between the reader's position and `end`. */
  decodeFrom(reader: ProtoReader, end: number): T;
}

/** EMPTY_BYTES is the shared default of `bytes` fields; never write into it. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

const sharedWriter = new ProtoWriter(64 * 1024);

/**
 * encodeMessage runs a codec's field writer into a shared scratch writer and copies the result
 * out: one allocation of exactly the message's size per call. Not re-entrant, which is fine:
 * encoding is synchronous and never calls user code.
 */
export function encodeMessage<T>(message: PartialMessage<T>, encodeTo: (m: PartialMessage<T>, w: ProtoWriter) => void): Uint8Array {
  sharedWriter.pos = 0;
  encodeTo(message, sharedWriter);
  return sharedWriter.finishCopy();
}

/** decodeMessage parses a whole buffer with a codec's field reader. */
export function decodeMessage<T>(bytes: Uint8Array, decodeFrom: (r: ProtoReader, end: number) => T): T {
  const reader = new ProtoReader(bytes);
  return decodeFrom(reader, bytes.length);
}

/** MethodDefinition describes one RPC; its shape is what @grpc/grpc-js accepts as a method. */
export interface MethodDefinition<Req, Res> {
  readonly path: string;
  readonly originalName: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly requestType: MessageCodec<Req>;
  readonly responseType: MessageCodec<Res>;
  // The codecs use no `this` (grpc-js and our callers pass them on detached); method syntax
  // keeps them bivariant, so a MethodDefinition<Req, Res> is usable where <unknown, unknown> is.
  requestSerialize(this: void, value: PartialMessage<Req>): Buffer;
  requestDeserialize(this: void, bytes: Uint8Array): Req;
  responseSerialize(this: void, value: PartialMessage<Res>): Buffer;
  responseDeserialize(this: void, bytes: Uint8Array): Res;
}

/** method builds a MethodDefinition from the facts of one RPC. */
export function method<Req, Res>(
  path: string,
  originalName: string,
  requestStream: boolean,
  responseStream: boolean,
  requestType: MessageCodec<Req>,
  responseType: MessageCodec<Res>,
): MethodDefinition<Req, Res> {
  return {
    path,
    originalName,
    requestStream,
    responseStream,
    requestType,
    responseType,
    requestSerialize: (value) => asBuffer(requestType.encode(value)),
    requestDeserialize: (bytes) => requestType.decode(bytes),
    responseSerialize: (value) => asBuffer(responseType.encode(value)),
    responseDeserialize: (bytes) => responseType.decode(bytes),
  };
}

/** asBuffer views bytes as a Node Buffer without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
