// Our generated codecs against an independent implementation: protobufjs, reading the same
// .proto files. For every message type, random messages encoded by us must decode to the
// same values with protobufjs, and protobufjs's encoding must decode to the same values with
// us. Any prefix of a valid encoding decodes or fails with ProtoDecodeError, never otherwise.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import protobuf from "protobufjs";
import * as api from "../src/index.js";
import type { MessageCodec } from "../src/index.js";

const protoRoot = join(import.meta.dirname, "..", "proto");

function protoFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? protoFiles(join(dir, e.name)) : e.name.endsWith(".proto") ? [relative(protoRoot, join(dir, e.name))] : [],
  );
}

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(protoRoot, target);
root.loadSync(protoFiles(protoRoot), { keepCase: true });
root.resolveAll();

/** protobuf's JSON name of a field (lowerCamelCase: any character after "_" capitalized), as our generator names fields. */
const jsonName = (name: string): string => name.replace(/_([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());

/** Our codec for a protobuf type, found through the package namespaces of the index. */
function ourCodec(type: protobuf.Type): MessageCodec<unknown> {
  const full = type.fullName.slice(1);
  const namespaces: Record<string, Record<string, unknown>> = {
    etcdserverpb: api.etcdserverpb, mvccpb: api.mvccpb, authpb: api.authpb,
    v3lockpb: api.v3lockpb, v3electionpb: api.v3electionpb, "grpc.health.v1": api.health,
  };
  for (const [pkg, ns] of Object.entries(namespaces)) {
    if (full.startsWith(pkg + ".")) {
      const codec = ns[full.slice(pkg.length + 1).replace(/\./g, "_")];
      if (codec) return codec as MessageCodec<unknown>;
    }
  }
  throw new Error(`no codec for ${full}`);
}

const allTypes: protobuf.Type[] = [];
(function collect(ns: protobuf.NamespaceBase) {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) allTypes.push(nested);
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) collect(nested);
  }
})(root);

// A small seeded PRNG: failures reproduce.
let seed = 0x2f6b_3a19;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
function randomBigint(unsigned: boolean): bigint {
  const bits = (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32));
  const small = BigInt(Math.floor(rand() * 1000));
  const value = pick([0n, 1n, small, bits]);
  return unsigned ? BigInt.asUintN(64, value) : BigInt.asIntN(64, value);
}
function randomScalar(field: protobuf.Field): unknown {
  const jsNumber = field.options?.["jstype"] === "JS_NUMBER";
  switch (field.type) {
    case "int64": return jsNumber ? pick([0, 1, 1_000_000, -5, Math.floor(rand() * Number.MAX_SAFE_INTEGER)]) : randomBigint(false);
    case "uint64": return jsNumber ? pick([0, 1, 2 ** 40, Math.floor(rand() * Number.MAX_SAFE_INTEGER)]) : randomBigint(true);
    case "int32": return pick([0, 1, -1, 2 ** 31 - 1, -(2 ** 31), Math.floor(rand() * 1000)]);
    case "uint32": return pick([0, 1, 2 ** 32 - 1, Math.floor(rand() * 2 ** 32)]);
    case "bool": return rand() < 0.5;
    case "string": return pick(["", "a", "héllo wörld ✓", "x".repeat(200), "\u{1F600}"]);
    case "bytes": return Uint8Array.from({ length: pick([0, 1, 5, 130]) }, () => Math.floor(rand() * 256));
    default: throw new Error(`unhandled scalar ${field.type}`);
  }
}
/** A random message in our representation (camelCase fields, oneofs as { $case }). */
function randomMessage(type: protobuf.Type, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const value = (field: protobuf.Field): unknown => {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Enum) return pick(Object.values(resolved.values));
    if (resolved instanceof protobuf.Type) return randomMessage(resolved, depth + 1);
    return randomScalar(field);
  };
  for (const oneof of type.oneofsArray) {
    if (rand() < 0.25) continue;
    const member = pick(oneof.fieldsArray);
    if (depth > 3 && member.resolvedType instanceof protobuf.Type) continue;
    out[jsonName(oneof.name)] = { $case: jsonName(member.name), [jsonName(member.name)]: value(member) };
  }
  for (const field of type.fieldsArray) {
    if (field.partOf || rand() < 0.2) continue;
    if (depth > 3 && field.resolvedType instanceof protobuf.Type) continue;
    out[jsonName(field.name)] = field.repeated ? Array.from({ length: Math.floor(rand() * 3) }, () => value(field)) : value(field);
  }
  return out;
}

/** Both sides to one comparable form: numbers and bigints as decimal strings, bytes as hex, oneofs flattened. */
function normalize(value: unknown): unknown {
  if (typeof value === "bigint" || typeof value === "number") return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      if (v && typeof v === "object" && "$case" in v) {
        const c = (v as { $case: string }).$case;
        out[c] = normalize((v as Record<string, unknown>)[c]);
      } else out[jsonName(key)] = normalize(v);
    }
    return out;
  }
  return value;
}
/** protobufjs's object form without its virtual oneof-name fields. */
function fromProtobufjs(type: protobuf.Type, message: protobuf.Message): unknown {
  const plain = type.toObject(message, { longs: String, defaults: true, arrays: true, enums: Number, bytes: Array });
  const strip = (t: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> => {
    for (const field of t.fieldsArray) {
      const v = obj[field.name];
      if (field.resolvedType instanceof protobuf.Type && v) {
        if (field.repeated) (v as Record<string, unknown>[]).forEach((x) => strip(field.resolvedType as protobuf.Type, x));
        else strip(field.resolvedType, v as Record<string, unknown>);
      }
      if (v === null) delete obj[field.name]; // an absent message field
      else if (field.type === "bytes" && Array.isArray(v)) {
        obj[field.name] = field.repeated ? v.map((b) => Uint8Array.from(b as number[])) : Uint8Array.from(v as number[]);
      }
    }
    return obj;
  };
  return normalize(strip(type, plain));
}

test(`every message type of the protos has a generated codec (${allTypes.length} types)`, () => {
  assert.ok(allTypes.length > 110);
  for (const type of allTypes) assert.equal(ourCodec(type).typeName, type.fullName.slice(1));
});

test("random messages of every type: ours → protobufjs and protobufjs → ours agree", () => {
  for (const type of allTypes) {
    const codec = ourCodec(type);
    for (let i = 0; i < 30; i++) {
      const message = randomMessage(type, 0);
      const expected = normalize(codec.create(message));
      const bytes = codec.encode(message);
      const theirs = type.decode(bytes);
      assert.deepEqual(fromProtobufjs(type, theirs), expected, `${type.fullName}: protobufjs decodes our bytes`);
      const back = codec.decode(type.encode(theirs).finish());
      assert.deepEqual(normalize(back), expected, `${type.fullName}: we decode protobufjs's bytes`);
    }
  }
});

test("any prefix of a valid encoding decodes or fails with ProtoDecodeError", () => {
  for (const type of allTypes) {
    const codec = ourCodec(type);
    const bytes = codec.encode(randomMessage(type, 0));
    for (let cut = 0; cut < bytes.length; cut++) {
      try {
        codec.decode(bytes.subarray(0, cut));
      } catch (error) {
        assert.ok(error instanceof api.ProtoDecodeError, `${type.fullName} cut at ${cut}: ${String(error)}`);
      }
    }
  }
});

test("fields we do not know are skipped, as proto3 requires", () => {
  const { PutRequest } = api.etcdserverpb;
  const w = new api.ProtoWriter();
  PutRequest.encodeTo({ key: Uint8Array.of(1) }, w);
  w.tag(99, api.WireType.LENGTH_DELIMITED);
  w.bytes(Uint8Array.of(1, 2, 3));
  w.tag(100, api.WireType.VARINT);
  w.uint32(7);
  PutRequest.encodeTo({ value: Uint8Array.of(2) }, w);
  const decoded = PutRequest.decode(w.finish());
  assert.deepEqual([...decoded.key], [1]);
  assert.deepEqual([...decoded.value], [2]);
});

test("a known field with the wrong wire type is a ProtoDecodeError", () => {
  const w = new api.ProtoWriter();
  w.tag(1, api.WireType.VARINT); // PutRequest.key is bytes
  w.uint32(5);
  assert.throws(() => api.etcdserverpb.PutRequest.decode(w.finish()), api.ProtoDecodeError);
});

test("defaults are not written: an empty message encodes to zero bytes", () => {
  const { RangeRequest, RangeRequest_SortOrder } = api.etcdserverpb;
  assert.equal(RangeRequest.encode({}).length, 0);
  assert.equal(RangeRequest.encode({ limit: 0, sortOrder: RangeRequest_SortOrder.NONE, keysOnly: false }).length, 0);
  const decoded = RangeRequest.decode(new Uint8Array(0));
  assert.equal(decoded.limit, 0);
  assert.equal(decoded.key.length, 0);
});

test("src/generated is what the generator makes of proto/ today", async () => {
  const { spawnSync } = await import("node:child_process");
  const result = spawnSync(process.execPath, [join(import.meta.dirname, "..", "codegen", "generate.mjs"), "--check"], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
});
