/**
 * fast-check arbitraries for fuzzing: any request of any etcd RPC, as a message (built from
 * the gateway's schema of every message type, so every field and oneof member can appear),
 * as its valid wire encoding, as that encoding mutated the ways a broken client or a bad
 * network mangles bytes, and as JSON for the gateway.
 */
import fc from "fast-check";
import { etcdserverpb, health, v3electionpb, v3lockpb, type MethodDefinition } from "@etcd-ts/api";
import type { FieldSchema } from "../../src/gateway/schema.js";
import { ENUMS, MESSAGES } from "../../src/gateway/schema.generated.js";

/** Every method of every service we serve, by gRPC path. */
export const ALL_METHODS: readonly MethodDefinition<unknown, unknown>[] = [
  etcdserverpb.KVService,
  etcdserverpb.WatchService,
  etcdserverpb.LeaseService,
  etcdserverpb.ClusterService,
  etcdserverpb.MaintenanceService,
  etcdserverpb.AuthService,
  v3lockpb.LockService,
  v3electionpb.ElectionService,
  health.HealthService,
].flatMap((service) => Object.values(service) as MethodDefinition<unknown, unknown>[]);

/** Keys drawn from a small alphabet, so that requests meet each other's keys. */
const keyArb = fc.oneof(
  fc.constantFrom("a", "b", "c", "foo", "foo/bar", "fuzz/1", "\u0000", "\u00ff"),
  fc.string({ maxLength: 6, unit: fc.constantFrom("a", "b", "c", "/", "\u0000") }),
).map((s) => Buffer.from(s, "latin1"));

function scalarArb(field: FieldSchema): fc.Arbitrary<unknown> {
  switch (field.type) {
    case "bytes":
      return field.name === "key" || field.name === "range_end" || field.name === "prefix" ? keyArb : fc.uint8Array({ maxLength: 24 });
    case "string":
      return fc.oneof(fc.constantFrom("", "root", "user", "role", "http://127.0.0.1:1"), fc.string({ maxLength: 12 }));
    case "bool":
      return fc.boolean();
    case "double":
    case "float":
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case "int32":
    case "sint32":
    case "sfixed32":
      return fc.oneof(fc.integer({ min: -5, max: 20 }), fc.integer());
    case "uint32":
    case "fixed32":
      return fc.oneof(fc.integer({ min: 0, max: 20 }), fc.nat());
    default: {
      // 64-bit: small values meet real revisions and IDs; extremes test the edges.
      const small = fc.integer({ min: -3, max: 30 });
      if (field.bigint) return fc.oneof(small.map(BigInt), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
      return fc.oneof(small, fc.maxSafeInteger());
    }
  }
}

function enumArb(ref: string): fc.Arbitrary<number> {
  const values = ENUMS[ref]?.values.map(([, n]) => n) ?? [0];
  return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 100 }) });
}

function fieldArb(field: FieldSchema, depth: number): fc.Arbitrary<unknown> {
  if (field.type === "message") return messageArb(field.ref!, depth + 1);
  if (field.type === "enum") return enumArb(field.ref!);
  return scalarArb(field);
}

const cache = new Map<string, fc.Arbitrary<Record<string, unknown>>>();

/** messageArb builds random messages of a type (a PartialMessage); nesting stops at depth 3. */
export function messageArb(typeName: string, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const key = `${typeName}@${Math.min(depth, 3)}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const fields = MESSAGES[typeName] ?? [];
  const plain: Record<string, fc.Arbitrary<unknown>> = {};
  const oneofs = new Map<string, FieldSchema[]>();
  for (const field of fields) {
    if (field.type === "message" && depth >= 3) continue;
    if (field.oneof !== undefined) oneofs.set(field.oneof, [...(oneofs.get(field.oneof) ?? []), field]);
    else plain[field.json] = field.repeated ? fc.array(fieldArb(field, depth), { maxLength: 3 }) : fieldArb(field, depth);
  }
  const oneofArbs: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, members] of oneofs) {
    oneofArbs[name] = fc.oneof(...members.map((m) => fieldArb(m, depth).map((value) => ({ $case: m.json, [m.json]: value }))));
  }
  const arb = fc.record({ ...plain, ...oneofArbs }, { requiredKeys: [] });
  cache.set(key, arb);
  return arb;
}

/** validEncoding: random messages of the method's request type, encoded. */
export function validEncoding(method: MethodDefinition<unknown, unknown>): fc.Arbitrary<Uint8Array> {
  return messageArb(method.requestType.typeName).map((message) => method.requestType.encode(message as never));
}

/** One way of damaging an encoding. */
type Mutation = (bytes: Uint8Array) => Uint8Array;

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([at, bit]): Mutation => (b) => {
    if (b.length === 0) return b;
    const out = Uint8Array.from(b);
    out[at % out.length]! ^= 1 << bit;
    return out;
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, value]): Mutation => (b) => {
    if (b.length === 0) return Uint8Array.of(value);
    const out = Uint8Array.from(b);
    out[at % out.length] = value;
    return out;
  }),
  fc.nat().map((at): Mutation => (b) => b.subarray(0, b.length === 0 ? 0 : at % b.length)),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 12 })).map(([at, insert]): Mutation => (b) => {
    const i = b.length === 0 ? 0 : at % (b.length + 1);
    return Buffer.concat([b.subarray(0, i), insert, b.subarray(i)]);
  }),
  fc.tuple(fc.nat(), fc.nat({ max: 16 })).map(([at, length]): Mutation => (b) => {
    const i = b.length === 0 ? 0 : at % b.length;
    return Buffer.concat([b.subarray(0, i), b.subarray(i + length)]);
  }),
  fc.tuple(fc.nat(), fc.nat({ max: 32 })).map(([at, length]): Mutation => (b) => {
    const i = b.length === 0 ? 0 : at % b.length;
    return Buffer.concat([b.subarray(0, i + length), b.subarray(i)]);
  }),
  // A field no message declares, of any wire type, or an absurd length prefix.
  fc.tuple(fc.integer({ min: 1, max: 0x1fffffff }), fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 10 })).map(([field, wire, payload]): Mutation => (b) => {
    const tag: number[] = [];
    let t = field * 8 + wire;
    while (t >= 0x80) {
      tag.push((t % 0x80) | 0x80);
      t = Math.floor(t / 0x80);
    }
    tag.push(t);
    return Buffer.concat([b, Uint8Array.from(tag), payload]);
  }),
  fc.nat().map((at): Mutation => (b) => {
    const i = b.length === 0 ? 0 : at % b.length;
    return Buffer.concat([b.subarray(0, i), Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f), b.subarray(i)]);
  }),
);

/** mutatedEncoding: a valid encoding of the method's request, damaged one to three times. */
export function mutatedEncoding(method: MethodDefinition<unknown, unknown>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(validEncoding(method), fc.array(mutationArb, { minLength: 1, maxLength: 3 })).map(([bytes, mutations]) => mutations.reduce((b, m) => m(b), bytes));
}

/** anyBytes: what a client that sends noise sends. */
export const anyBytes: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 256 });

/** requestBody: for a method, valid, mutated or random bytes. */
export function requestBody(method: MethodDefinition<unknown, unknown>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(validEncoding(method), mutatedEncoding(method), mutatedEncoding(method), anyBytes);
}

/** messageJson writes a random message as the gateway reads it (proto names, base64 bytes, 64-bit as strings). */
export function messageJson(typeName: string, message: Record<string, unknown>): unknown {
  const fields = MESSAGES[typeName] ?? [];
  const out: Record<string, unknown> = {};
  const one = (field: FieldSchema, value: unknown): unknown => {
    if (field.type === "message") return messageJson(field.ref!, value as Record<string, unknown>);
    if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
    if (typeof value === "bigint") return value.toString();
    return value;
  };
  for (const field of fields) {
    let value: unknown;
    if (field.oneof !== undefined) {
      const chosen = message[field.oneof] as { $case: string } | undefined;
      if (chosen?.$case !== field.json) continue;
      value = (chosen as unknown as Record<string, unknown>)[field.json];
    } else value = message[field.json];
    if (value === undefined) continue;
    out[field.name] = Array.isArray(value) ? value.map((v) => one(field, v)) : one(field, value);
  }
  return out;
}
