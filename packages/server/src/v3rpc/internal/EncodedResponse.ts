/**
 * EncodedResponse: a handler's answer whose fields other than the header are already in wire
 * format (a range served by the storage worker as bytes). `withEncodedResponses` wraps a method
 * so its response codec passes such answers through — the gRPC path frames them, the JSON
 * gateway decodes them like any response — while plain objects encode as before.
 */
import { etcdserverpb as pb, type MethodDefinition, type PartialMessage, type ProtoWriter } from "@etcd-ts/api";

/** EncodedResponse is a response header plus the rest of the message, encoded. */
export class EncodedResponse {
  constructor(
    readonly header: pb.ResponseHeader,
    /** body: the message's other fields in protobuf (header field absent). */
    readonly body: Uint8Array,
  ) {}
}

/** Field 1 (header), wire type 2: every etcd response keeps its header there. */
const HEADER_TAG = (1 << 3) | 2;

function encodeWithHeader(response: EncodedResponse): Uint8Array {
  const header = pb.ResponseHeader.encode(response.header);
  // tag + length varint (a header's four varints take at most 44 bytes: one length byte) + header + body
  const out = new Uint8Array(2 + header.length + response.body.length);
  out[0] = HEADER_TAG;
  out[1] = header.length;
  out.set(header, 2);
  out.set(response.body, 2 + header.length);
  return out;
}

/** withEncodedResponses returns `method` with a response codec that also accepts {@link EncodedResponse}s. */
export function withEncodedResponses<Req, Res>(method: MethodDefinition<Req, Res>): MethodDefinition<Req, Res> {
  const codec = method.responseType;
  const encode = (message: PartialMessage<Res>): Uint8Array =>
    (message as unknown) instanceof EncodedResponse ? encodeWithHeader(message as unknown as EncodedResponse) : codec.encode(message);
  return {
    ...method,
    responseType: {
      ...codec,
      encode,
      encodeTo(message: PartialMessage<Res>, writer: ProtoWriter): void {
        // Responses are top-level messages: nothing embeds one, so this path never sees bytes.
        if ((message as unknown) instanceof EncodedResponse) throw new Error(`${codec.typeName}: an encoded response cannot be embedded`);
        codec.encodeTo(message, writer);
      },
    },
    responseSerialize: (value: PartialMessage<Res>) => Buffer.from(encode(value)),
  };
}
