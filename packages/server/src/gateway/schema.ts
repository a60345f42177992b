/**
 * The shapes of the gateway's generated tables (schema.generated.ts): what the JSON mapping
 * needs to know about each message field, enum and route, which the binary codecs of
 * @etcd-ts/api do not carry at run time.
 */

/** ScalarType is a protobuf scalar type name as written in the .proto. */
export type ScalarType =
  | "double" | "float" | "int32" | "int64" | "uint32" | "uint64" | "sint32" | "sint64"
  | "fixed32" | "fixed64" | "sfixed32" | "sfixed64" | "bool" | "string" | "bytes";

/** FieldSchema describes one field of a message. */
export interface FieldSchema {
  /** name is the proto field name: etcd's JSON output key (OrigName), e.g. `range_end`. */
  readonly name: string;
  /** json is the lowerCamelCase JSON name, also the TypeScript property, e.g. `rangeEnd`. */
  readonly json: string;
  readonly type: ScalarType | "message" | "enum";
  /** ref is the full name of the message or enum type. */
  readonly ref?: string;
  readonly repeated?: boolean;
  /** oneof is the TypeScript property of the oneof the field belongs to. */
  readonly oneof?: string;
  /** bigint: a 64-bit field held as bigint in TypeScript (otherwise number). */
  readonly bigint?: boolean;
}

/** EnumSchema lists an enum's values and the Go type name etcd's errors print. */
export interface EnumSchema {
  readonly goName: string;
  readonly values: readonly (readonly [string, number])[];
}

/** RouteSchema is one `POST /v3/...` route and the gRPC method behind it. */
export interface RouteSchema {
  readonly http: string;
  readonly grpc: string;
  readonly request: string;
  readonly response: string;
  readonly clientStream: boolean;
  readonly serverStream: boolean;
}
