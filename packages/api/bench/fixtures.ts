/**
 * Benchmark fixtures: the messages every codec candidate encodes and decodes, in one neutral
 * form, plus the two schema-driven walks that turn them into each candidate's own
 * representation (`toNative`) and any candidate's decoded output back into a comparable form
 * (`normalize`).
 *
 * Both walks are driven by the protobufjs reflection tree of our .proto files, loaded at run
 * time, so the benchmark follows the protos as they change (a new `[jstype = JS_NUMBER]`
 * annotation changes how our generated code types a field, and the walks follow it).
 */
import { join } from "node:path";
import protobuf from "protobufjs";

/** PROTO_ROOT is the directory that .proto import paths are relative to. */
export const PROTO_ROOT = join(import.meta.dirname, "..", "proto");

/** The messages measured, by their name in package etcdserverpb. */
export const MESSAGES = ["RangeResponse", "PutRequest"] as const;
/** MessageName is one of {@link MESSAGES}. */
export type MessageName = (typeof MESSAGES)[number];

/**
 * Neutral is a message as test data: fields by their lowerCamelCase name, every 64-bit
 * integer a bigint, bytes a Uint8Array, nested messages Neutral. Absent fields are defaults.
 */
export interface Neutral {
  [field: string]: NeutralValue;
}
/** NeutralValue is the value of one field of a {@link Neutral} message. */
export type NeutralValue = bigint | number | boolean | string | Uint8Array | Neutral | NeutralValue[] | undefined;

/**
 * loadRoot parses rpc.proto and its imports with protobufjs, field names in lowerCamelCase
 * (as our generated code, protobuf-es and ts-proto name them).
 */
export function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith("/") ? target : join(PROTO_ROOT, target));
  root.loadSync("etcdserverpb/rpc.proto");
  root.resolveAll();
  return root;
}

/** mulberry32 is a tiny seeded PRNG: the same data on every run and machine. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(rand: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Lease IDs as etcd hands them out: positive 63-bit integers, far above 2^53. */
const LEASE_IDS = [0x694d_7a1b_3c2f_0e15n, 0x694d_7a1b_3c2f_0f02n, 0x7fff_fffe_0123_4567n];

/** A cluster and member ID of the size etcd derives from hashes (uint64, above 2^63 here). */
const CLUSTER_ID = 0xcdf8_1819_4e3a_8c32n;
const MEMBER_ID = 0x8e9e_05c5_2164_694dn;

/**
 * rangeResponse is a Range answer of 100 KeyValues: keys `/registry/pods/default/pod-<n>-<id>`
 * (33–36 bytes), 256 random value bytes, revisions around 1e6, versions 1–20, and a lease on
 * every tenth key (0 elsewhere).
 */
export function rangeResponse(): Neutral {
  const rand = mulberry32(0xe7cd);
  const kvs: Neutral[] = [];
  for (let i = 0; i < 100; i++) {
    const id = Math.floor(rand() * 0xffffff).toString(16).padStart(6, "0");
    const createRevision = 1_000_000n + BigInt(i * 37 + Math.floor(rand() * 30));
    kvs.push({
      key: ascii(`/registry/pods/default/pod-${i}-${id}`),
      createRevision,
      modRevision: createRevision + BigInt(Math.floor(rand() * 5000)),
      version: BigInt(1 + Math.floor(rand() * 20)),
      value: randomBytes(rand, 256),
      lease: i % 10 === 3 ? LEASE_IDS[i % LEASE_IDS.length]! : 0n,
    });
  }
  return {
    header: { clusterId: CLUSTER_ID, memberId: MEMBER_ID, revision: 1_009_876n, raftTerm: 7n },
    kvs,
    more: false,
    count: 100n,
  };
}

/** putRequest is a Put of a 32-byte key and a 256-byte value, with a lease and prev_kv. */
export function putRequest(): Neutral {
  const rand = mulberry32(0x9e7);
  const key = ascii("/registry/pods/default/pod-12345");
  if (key.length !== 32) throw new Error("PutRequest key must be 32 bytes");
  return { key, value: randomBytes(rand, 256), lease: LEASE_IDS[0]!, prevKv: true };
}

/** fixtures returns the test message of each measured type. */
export function fixtures(): Record<MessageName, Neutral> {
  return { RangeResponse: rangeResponse(), PutRequest: putRequest() };
}

/** Int64Mapper turns a 64-bit value into a candidate's representation of that field. */
export type Int64Mapper = (field: protobuf.Field, value: bigint) => unknown;

/** isJsNumber tells whether a field carries `[jstype = JS_NUMBER]` (our codegen then uses number). */
export function isJsNumber(field: protobuf.Field): boolean {
  return (field.options as Record<string, unknown> | undefined)?.["jstype"] === "JS_NUMBER";
}

function isLong(field: protobuf.Field): boolean {
  return ["int64", "uint64", "sint64", "fixed64", "sfixed64"].includes(field.type);
}

function scalarDefault(field: protobuf.Field): NeutralValue {
  if (field.resolvedType instanceof protobuf.Enum) return 0;
  switch (field.type) {
    case "bool":
      return false;
    case "string":
      return "";
    case "bytes":
      return new Uint8Array(0);
    default:
      return isLong(field) ? 0n : 0;
  }
}

/**
 * toNative builds a complete message (every field present, defaults included) in a
 * candidate's representation: 64-bit values through `int64`, nested messages through `wrap`.
 */
export function toNative(
  type: protobuf.Type,
  value: Neutral,
  int64: Int64Mapper,
  wrap: (type: protobuf.Type, fields: Record<string, unknown>) => unknown = (_t, fields) => fields,
): unknown {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    if (field.partOf !== null && field.partOf !== undefined) throw new Error(`${field.fullName}: oneofs are not supported by the bench fixtures`);
    const v = value[field.name];
    const one = (x: NeutralValue): unknown => {
      if (field.resolvedType instanceof protobuf.Type) return toNative(field.resolvedType, x as Neutral, int64, wrap);
      if (isLong(field)) return int64(field, x as bigint);
      return x;
    };
    if (field.repeated) out[field.name] = ((v as NeutralValue[] | undefined) ?? []).map(one);
    else if (field.resolvedType instanceof protobuf.Type) out[field.name] = v === undefined ? undefined : one(v);
    else out[field.name] = one(v ?? scalarDefault(field));
  }
  return wrap(type, out);
}

/** A Long (long.js) as protobufjs produces it, recognised without importing long.js. */
interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
}

function toBigint(field: protobuf.Field, v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new Error(`${field.fullName}: 64-bit value held as an inexact number (${v})`);
    return BigInt(v);
  }
  if (typeof v === "string") return BigInt(v);
  if (typeof v === "object" && v !== null && "low" in v && "high" in v) {
    const l = v as LongLike;
    const bits = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
    return l.unsigned ? bits : BigInt.asIntN(64, bits);
  }
  throw new Error(`${field.fullName}: not a 64-bit value: ${String(v)}`);
}

/**
 * Comparable is a message reduced to plain data: 64-bit integers as decimal strings, bytes as
 * hex, absent messages as null, so `isDeepStrictEqual` compares any two candidates' output.
 */
export type Comparable = { [field: string]: ComparableValue };
type ComparableValue = string | number | boolean | null | Comparable | ComparableValue[];

/**
 * normalize reads a message in any candidate's representation (bigint / number / Long /
 * string 64-bit values, Buffer or Uint8Array bytes, class instances or plain objects) into a
 * {@link Comparable}. Unknown keys (e.g. protobuf-es's `$typeName`) are ignored; missing
 * fields read as defaults. Throws if a 64-bit value is an inexact number.
 */
export function normalize(type: protobuf.Type, message: unknown): Comparable {
  const m = message as Record<string, unknown>;
  const out: Comparable = {};
  for (const field of type.fieldsArray) {
    const one = (x: unknown): ComparableValue => {
      if (field.resolvedType instanceof protobuf.Type) return x === undefined || x === null ? null : normalize(field.resolvedType, x);
      if (x === undefined || x === null) x = scalarDefault(field);
      if (isLong(field)) return toBigint(field, x).toString();
      if (x instanceof Uint8Array) return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString("hex");
      return x as ComparableValue;
    };
    const v = m[field.name];
    out[field.name] = field.repeated ? ((v as unknown[] | undefined) ?? []).map(one) : one(v);
  }
  return out;
}
