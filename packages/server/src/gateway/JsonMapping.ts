/**
 * JsonMapping: etcd 3.4's JSON form of its protobuf messages — grpc-gateway's
 * `runtime.JSONPb{OrigName: true}` over golang/protobuf's jsonpb.
 *
 * Output (`messageToJson`): keys are the .proto field names (`range_end`, `memberID`), in
 * declaration order; zero values, empty lists and absent messages are left out (an empty
 * but present message is `{}`); int64/uint64 are decimal strings, 32-bit integers numbers,
 * bytes standard base64, enums their value names (the number when unnamed); a oneof member
 * appears under its own field name, even when zero.
 *
 * Input (`messageFromJson`): a field is found by its proto name, else by its lowerCamelCase
 * JSON name (case-sensitive); unknown keys are ignored; null means "not set"; integers may be
 * numbers or strings; enums names or numbers. Errors carry jsonpb's / encoding/json's text.
 *
 * Messages are the plain objects of @etcd-ts/api's codecs (lowerCamelCase properties,
 * bigint or number 64-bit fields per the .proto, oneofs as `{ $case, <member> }`).
 */
import { GrpcStatus, MAX_MESSAGE_DEPTH } from "@etcd-ts/api";
import { StatusError } from "../grpc/StatusError.js";
import { goQuote, goString, unmarshalText, type JsonValue } from "./goJson.js";
import type { FieldSchema, ScalarType } from "./schema.js";
import { ENUMS, MESSAGES } from "./schema.generated.js";

/** JsonMappingError carries the text etcd's gateway answers a badly typed request with. */
export class JsonMappingError extends Error {
  override name = "JsonMappingError";
}

type Message = Record<string, unknown>;

function fieldsOf(typeName: string): readonly FieldSchema[] {
  const fields = MESSAGES[typeName];
  if (!fields) throw new Error(`gateway: no JSON schema for ${typeName}`);
  return fields;
}

// ---- output ----

/** messageToJson writes a message in etcd's gateway JSON. */
export function messageToJson(typeName: string, message: Message): string {
  const parts: string[] = [];
  for (const field of fieldsOf(typeName)) {
    let value: unknown;
    if (field.oneof !== undefined) {
      const union = message[field.oneof] as { $case: string } & Message | undefined;
      if (union?.$case !== field.json) continue;
      value = union[field.json];
      if (value === undefined) continue;
    } else {
      value = message[field.json];
      if (isDefault(field, value)) continue;
    }
    const text = field.repeated ? `[${(value as unknown[]).map((item) => valueToJson(field, item)).join(",")}]` : valueToJson(field, value);
    parts.push(`${goString(field.name)}:${text}`);
  }
  return `{${parts.join(",")}}`;
}

function isDefault(field: FieldSchema, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (field.repeated) return (value as unknown[]).length === 0;
  switch (field.type) {
    case "message":
      return false;
    case "bytes":
      return (value as Uint8Array).length === 0;
    case "string":
      return value === "";
    case "bool":
      return value === false;
    default:
      return value === 0 || value === 0n;
  }
}

function valueToJson(field: FieldSchema, value: unknown): string {
  switch (field.type) {
    case "message":
      return messageToJson(field.ref!, (value ?? {}) as Message);
    case "enum": {
      const name = ENUMS[field.ref!]?.values.find(([, number]) => number === value)?.[0];
      return name === undefined ? String(value) : goString(name);
    }
    case "bytes":
      return `"${Buffer.from(value as Uint8Array).toString("base64")}"`;
    case "string":
      return goString(value as string);
    case "bool":
      return value ? "true" : "false";
    case "int64":
    case "uint64":
    case "sint64":
    case "fixed64":
    case "sfixed64":
      return `"${String(value)}"`;
    default:
      return String(value);
  }
}

// ---- input ----

/**
 * Messages nested deeper than this are refused while mapping (they could not be decoded
 * anyway: the binary decoder stops at MAX_MESSAGE_DEPTH); it keeps the mapping's recursion
 * far from the stack's end.
 */
const MAX_MAPPING_DEPTH = MAX_MESSAGE_DEPTH + 16;
let mappingDepth = 0;

/**
 * messageFromJson reads a request message of `typeName` from a parsed JSON value. Throws
 * JsonMappingError for a value of the wrong shape, and StatusError(Internal) for messages
 * nested beyond what the binary decoder takes, as our gRPC server would answer them.
 */
export function messageFromJson(typeName: string, json: JsonValue): Message {
  if (mappingDepth >= MAX_MAPPING_DEPTH) throw new StatusError(GrpcStatus.INTERNAL, "grpc: error unmarshalling request: proto: exceeded maximum recursion depth");
  mappingDepth++;
  try {
    return mapMessage(typeName, json);
  } finally {
    mappingDepth--;
  }
}

function mapMessage(typeName: string, json: JsonValue): Message {
  const message: Message = {};
  if (json.kind === "null") return message;
  if (json.kind !== "object") throw typeError(json, "map[string]json.RawMessage");
  const fields = new Map(json.fields);
  const take = (field: FieldSchema): JsonValue | undefined => {
    for (const key of field.json === field.name ? [field.name] : [field.name, field.json]) {
      const value = fields.get(key);
      if (value !== undefined) {
        fields.delete(key);
        return value;
      }
    }
    return undefined;
  };
  const schema = fieldsOf(typeName);
  for (const field of schema) {
    if (field.oneof !== undefined) continue;
    const value = take(field);
    if (value === undefined || value.kind === "null") continue;
    message[field.json] = field.repeated ? repeatedFromJson(field, value) : valueFromJson(field, value);
  }
  // jsonpb reads oneofs after the other fields.
  for (const field of schema) {
    if (field.oneof === undefined) continue;
    const value = take(field);
    if (value === undefined) continue;
    if (value.kind === "null") {
      // A null message member leaves the oneof unset on the wire; a null scalar sets its zero.
      if (field.type !== "message") message[field.oneof] = { $case: field.json, [field.json]: zeroOf(field) };
      continue;
    }
    message[field.oneof] = { $case: field.json, [field.json]: valueFromJson(field, value) };
  }
  return message;
}

function zeroOf(field: FieldSchema): unknown {
  switch (field.type) {
    case "bytes":
      return new Uint8Array(0);
    case "string":
      return "";
    case "bool":
      return false;
    default:
      return field.bigint ? 0n : 0;
  }
}

function repeatedFromJson(field: FieldSchema, json: JsonValue): unknown[] {
  if (json.kind !== "array") throw typeError(json, "[]json.RawMessage");
  return json.items.map((item) => (item.kind === "null" ? (field.type === "message" ? {} : zeroOf(field)) : valueFromJson(field, item)));
}

const GO_INT_TYPES: Partial<Record<ScalarType, "int64" | "uint64" | "int32" | "uint32">> = {
  int64: "int64", sint64: "int64", sfixed64: "int64",
  uint64: "uint64", fixed64: "uint64",
  int32: "int32", sint32: "int32", sfixed32: "int32",
  uint32: "uint32", fixed32: "uint32",
};

const INT_RANGES = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
} as const;

function valueFromJson(field: FieldSchema, json: JsonValue): unknown {
  switch (field.type) {
    case "message":
      return messageFromJson(field.ref!, json);
    case "enum":
      return enumFromJson(field.ref!, json);
    case "bytes":
      if (json.kind !== "string") throw typeError(json, "[]uint8");
      return decodeBase64(json.value);
    case "string":
      if (json.kind !== "string") throw typeError(json, "string");
      return json.value;
    case "bool":
      if (json.kind !== "bool") throw typeError(json, "bool");
      return json.value;
    case "double":
    case "float": {
      const inner = json.kind === "string" ? unmarshalText(json.raw) : json;
      if (inner.kind === "null") return 0;
      if (inner.kind !== "number") throw typeError(inner, field.type === "double" ? "float64" : "float32");
      return Number(inner.raw);
    }
    default: {
      const goType = GO_INT_TYPES[field.type]!;
      // jsonpb strips the quotes of a quoted number without unescaping, then json.Unmarshal.
      const inner = json.kind === "string" ? unmarshalText(json.raw) : json;
      if (inner.kind === "null") return field.bigint ? 0n : 0;
      const integer = parseInteger(inner, goType);
      return field.bigint ? integer : Number(integer);
    }
  }
}

function parseInteger(json: JsonValue, goType: keyof typeof INT_RANGES): bigint {
  if (json.kind !== "number") throw typeError(json, goType);
  const [min, max] = INT_RANGES[goType];
  if (!/^-?\d+$/.test(json.raw)) throw new JsonMappingError(`json: cannot unmarshal number ${json.raw} into Go value of type ${goType}`);
  const value = BigInt(json.raw);
  if (value < min || value > max) throw new JsonMappingError(`json: cannot unmarshal number ${json.raw} into Go value of type ${goType}`);
  return value;
}

function enumFromJson(ref: string, json: JsonValue): number {
  const schema = ENUMS[ref]!;
  if (json.kind === "string") {
    // jsonpb looks the raw text between the quotes up, without unquoting it.
    const found = schema.values.find(([name]) => name === json.raw);
    if (!found) throw new JsonMappingError(`unknown value ${goQuote(json.raw)} for enum ${schema.goName}`);
    return found[1];
  }
  if (json.kind !== "number") throw typeError(json, schema.goName);
  const [min, max] = INT_RANGES.int32;
  if (!/^-?\d+$/.test(json.raw) || BigInt(json.raw) < min || BigInt(json.raw) > max) {
    throw new JsonMappingError(`json: cannot unmarshal number ${json.raw} into Go value of type ${schema.goName}`);
  }
  return Number(json.raw);
}

function typeError(json: JsonValue, goType: string): JsonMappingError {
  const kind = json.kind === "bool" ? "bool" : json.kind;
  return new JsonMappingError(`json: cannot unmarshal ${kind} into Go value of type ${goType}`);
}

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * decodeBase64 is Go's base64.StdEncoding.DecodeString: padding required, CR and LF
 * skipped, errors "illegal base64 data at input byte N" at the offset Go reports.
 */
export function decodeBase64(text: string): Uint8Array {
  const src = Buffer.from(text, "utf8");
  const corrupt = (offset: number): JsonMappingError => new JsonMappingError(`illegal base64 data at input byte ${offset}`);
  const out: number[] = [];
  let si = 0;
  const skipNewlines = (): void => {
    while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
  };
  while (si < src.length) {
    const quantum: number[] = [];
    let dlen = 4;
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Uint8Array.from(out);
        throw corrupt(si - j);
      }
      const byte = src[si]!;
      si++;
      const sextet = BASE64_ALPHABET.indexOf(String.fromCharCode(byte));
      if (byte < 0x80 && sextet >= 0) {
        quantum[j] = sextet;
        continue;
      }
      if (byte === 0x0a || byte === 0x0d) {
        j--;
        continue;
      }
      if (byte !== 0x3d) throw corrupt(si - 1);
      // Padding: only at quantum positions 2 and 3, and nothing but newlines after it.
      if (j < 2) throw corrupt(si - 1);
      if (j === 2) {
        skipNewlines();
        if (si === src.length) throw corrupt(src.length);
        if (src[si] !== 0x3d) throw corrupt(si - 1);
        si++;
      }
      skipNewlines();
      if (si < src.length) throw corrupt(si);
      dlen = j;
      break;
    }
    const [a = 0, b = 0, c = 0, d = 0] = quantum;
    const bits = (a << 18) | (b << 12) | (c << 6) | d;
    out.push((bits >> 16) & 0xff);
    if (dlen > 2) out.push((bits >> 8) & 0xff);
    if (dlen > 3) out.push(bits & 0xff);
    skipNewlines();
  }
  return Uint8Array.from(out);
}
