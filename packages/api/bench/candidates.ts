/**
 * The codec candidates of the benchmark, each behind one small adapter: the measured
 * messages' encode and decode functions, and the test messages prebuilt in the candidate's
 * own representation (so building them is not timed).
 *
 * - ours: packages/api/src/generated (codegen/generate.mjs + src/wire).
 * - protobufjs: reflection codecs from our .proto files (protobufjs compiles per-type
 *   encode/decode functions at run time: the code its static generator would emit).
 * - protobuf-es (@bufbuild/protobuf v2): descriptors built at run time from the protobufjs
 *   tree via protobufjs/ext/descriptor, then `createFileRegistry` + `toBinary`/`fromBinary`:
 *   protoc-gen-es v2 emits only descriptors, so this is the path its generated code takes.
 * - ts-proto: per-message generated code (bench/generate-candidates.ts), with our types
 *   (forceLong=bigint + useJsTypeOverride) and with forceLong=number.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import protobuf from "protobufjs";
import { create, createFileRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { isJsNumber, MESSAGES, toNative } from "./fixtures.js";
import type { MessageName, Neutral } from "./fixtures.js";

/** Codec is one message type's encode and decode, as a candidate offers them. */
export interface Codec {
  encode(message: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

/** Candidate is one code generator / runtime under test. */
export interface Candidate {
  /** id is a short name, used by `--only`. */
  readonly id: string;
  /** int64 says how the candidate represents 64-bit integer fields. */
  readonly int64: string;
  readonly codecs: Record<MessageName, Codec>;
  /** native holds the test messages in the candidate's own representation. */
  readonly native: Record<MessageName, unknown>;
}

type Fixtures = Record<MessageName, Neutral>;

function nativeMessages(root: protobuf.Root, data: Fixtures, build: (type: protobuf.Type, value: Neutral) => unknown): Record<MessageName, unknown> {
  const out = {} as Record<MessageName, unknown>;
  for (const name of MESSAGES) out[name] = build(root.lookupType(`etcdserverpb.${name}`), data[name]);
  return out;
}

/** The generated codec shape shared by our codegen (codec object per message). */
interface OurCodec {
  encode(message: never): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

/**
 * jstypeMessages builds the test messages with our codegen's 64-bit types: bigint, except
 * number for fields marked `[jstype = JS_NUMBER]`; returns them and a description.
 */
function jstypeMessages(root: protobuf.Root, data: Fixtures): { native: Record<MessageName, unknown>; int64: string } {
  const numberFields = new Set<string>();
  const native = nativeMessages(root, data, (type, value) =>
    toNative(type, value, (field, v) => {
      if (!isJsNumber(field)) return v;
      numberFields.add(field.name);
      return Number(v);
    }),
  );
  const asNumber = [...numberFields].sort();
  return { native, int64: asNumber.length === 0 ? "bigint (no field marked JS_NUMBER yet)" : `bigint; number: ${asNumber.join(", ")}` };
}

/**
 * ours: our generated codecs. 64-bit fields are bigint unless the .proto marks them
 * `[jstype = JS_NUMBER]`, exactly as codegen/generate.mjs decides.
 */
export async function ours(root: protobuf.Root, data: Fixtures): Promise<Candidate> {
  const generated = (await import("../src/generated/etcdserverpb.js")) as unknown as Record<MessageName, OurCodec>;
  const codecs = {} as Record<MessageName, Codec>;
  for (const name of MESSAGES) {
    const codec = generated[name];
    codecs[name] = { encode: (m) => codec.encode(m as never), decode: (b) => codec.decode(b) };
  }
  return { id: "ours", codecs, ...jstypeMessages(root, data) };
}

/**
 * protobufjs: reflection-compiled codecs. With long.js installed (a protobufjs dependency),
 * decode returns every 64-bit field as a Long object; encode is given Longs too, except where
 * ours uses numbers (JS_NUMBER fields), which protobufjs also accepts.
 */
export function protobufjs(root: protobuf.Root, data: Fixtures): Candidate {
  // protobufjs types util.Long as a bare constructor; the statics used here are long.js's.
  const Long = protobuf.util.Long as unknown as { fromString(value: string, unsigned: boolean): unknown } | undefined;
  if (!Long) throw new Error("protobufjs found no long.js");
  const codecs = {} as Record<MessageName, Codec>;
  for (const name of MESSAGES) {
    const type = root.lookupType(`etcdserverpb.${name}`);
    codecs[name] = { encode: (m) => type.encode(m as protobuf.Message).finish(), decode: (b) => type.decode(b) };
  }
  const native = nativeMessages(root, data, (type, value) =>
    toNative(
      type,
      value,
      (field, v) => (isJsNumber(field) ? Number(v) : Long.fromString(v.toString(), field.type.startsWith("u") || field.type === "fixed64")),
      (t, fields) => t.create(fields),
    ),
  );
  return { id: "protobufjs", int64: "Long (long.js) objects; number for JS_NUMBER fields on encode", codecs, native };
}

/** The parts of protobufjs/ext/descriptor this file uses (its bundled typings are incomplete). */
interface DescriptorExt {
  FileDescriptorSet: { encode(message: unknown): protobuf.Writer };
}
/** FieldDescriptorProto / DescriptorProto / FileDescriptorProto as protobufjs builds them. */
interface FieldDescLike {
  number: number;
  typeName?: string;
}
interface MessageDescLike {
  name: string;
  field: FieldDescLike[];
  nestedType: MessageDescLike[];
}
interface FileDescLike {
  name: string;
  package?: string;
  dependency: string[];
  messageType: MessageDescLike[];
}

/**
 * descriptorSet turns the protobufjs tree into FileDescriptorSet bytes with
 * protobufjs/ext/descriptor, fixing the two things protobuf-es rejects in its output (as of
 * protobufjs 8.8.1): type references are relative (`ResponseHeader`, not
 * `.etcdserverpb.ResponseHeader`), `dependency` is never filled in, and files are not in
 * dependency order.
 */
function descriptorSet(root: protobuf.Root): Uint8Array {
  const ext = createRequire(import.meta.url)("protobufjs/ext/descriptor") as DescriptorExt;
  const set = (root as unknown as { toDescriptor(syntax: string): { file: FileDescLike[] } }).toDescriptor("proto3");
  const fileOfPackage = new Map(set.file.map((f) => [f.package ?? "", f.name]));
  for (const file of set.file) {
    const deps = new Set<string>();
    const fix = (desc: MessageDescLike, fullName: string): void => {
      const type = root.lookupType(fullName);
      for (const field of desc.field) {
        // protobufjs's descriptor messages default typeName to "" (not undefined) for scalars.
        if (!field.typeName) continue;
        const resolved = type.fieldsById[field.number]?.resolvedType;
        if (!resolved) throw new Error(`${fullName}.${field.number}: unresolved type ${field.typeName}`);
        field.typeName = resolved.fullName;
        const pkg = resolved.fullName.slice(1).split(".").slice(0, -1);
        // The package is the longest prefix naming a file (nested types add more segments).
        while (pkg.length > 0 && !fileOfPackage.has(pkg.join("."))) pkg.pop();
        const dep = fileOfPackage.get(pkg.join("."));
        if (dep !== undefined && dep !== file.name) deps.add(dep);
      }
      for (const nested of desc.nestedType) fix(nested, `${fullName}.${nested.name}`);
    };
    for (const message of file.messageType) fix(message, `${file.package}.${message.name}`);
    file.dependency = [...deps].sort();
  }
  // protobuf-es wants every file after its dependencies, as protoc orders them.
  const sorted: FileDescLike[] = [];
  const visit = (file: FileDescLike): void => {
    if (sorted.includes(file)) return;
    for (const dep of file.dependency) visit(set.file.find((f) => f.name === dep)!);
    sorted.push(file);
  };
  set.file.forEach(visit);
  set.file = sorted;
  return ext.FileDescriptorSet.encode(set).finish();
}

/**
 * protobufEs: @bufbuild/protobuf v2 with a registry built from our .proto files at run time.
 * 64-bit fields are bigint (it honours only JS_STRING, not JS_NUMBER).
 */
export function protobufEs(root: protobuf.Root, data: Fixtures): Candidate {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet(root)));
  const codecs = {} as Record<MessageName, Codec>;
  const schemas = {} as Record<MessageName, DescMessage>;
  for (const name of MESSAGES) {
    const schema = registry.getMessage(`etcdserverpb.${name}`);
    if (!schema) throw new Error(`protobuf-es registry has no etcdserverpb.${name}`);
    schemas[name] = schema;
    codecs[name] = { encode: (m) => toBinary(schema, m as never), decode: (b) => fromBinary(schema, b) };
  }
  const native = {} as Record<MessageName, unknown>;
  for (const name of MESSAGES) {
    const plain = toNative(root.lookupType(`etcdserverpb.${name}`), data[name], (_field, v) => v);
    native[name] = create(schemas[name], plain as never);
  }
  return { id: "protobuf-es", int64: "bigint", codecs, native };
}

/** The shape of a ts-proto generated message object. */
interface TsProtoFns {
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
}

/**
 * tsProto: ts-proto's generated code (bench/generate-candidates.ts), imported from `path`.
 * `longs` says how it was generated: "jstype" (forceLong=bigint + useJsTypeOverride, the
 * same types as ours) or "number" (forceLong=number: every 64-bit field a number).
 */
export async function tsProto(root: protobuf.Root, data: Fixtures, path: string, longs: "jstype" | "number"): Promise<Candidate> {
  const generated = (await import(pathToFileURL(path).href)) as Record<MessageName, TsProtoFns>;
  const codecs = {} as Record<MessageName, Codec>;
  for (const name of MESSAGES) {
    const fns = generated[name];
    codecs[name] = { encode: (m) => fns.encode(m).finish(), decode: (b) => fns.decode(b) };
  }
  if (longs === "jstype") return { id: "ts-proto", codecs, ...jstypeMessages(root, data) };
  const native = nativeMessages(root, data, (type, value) => toNative(type, value, (_field, v) => Number(v)));
  return { id: "ts-proto-number", int64: "number (every 64-bit field)", codecs, native };
}
