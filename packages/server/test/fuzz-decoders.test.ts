// Fuzzing @etcd-ts/api's request decoders, as the server runs them on whatever a client
// sends: for the request type of every RPC (KV, Watch, Lease, Cluster, Maintenance, Auth,
// Lock, Election, Health), random bytes and mutated valid encodings either decode or throw a
// ProtoDecodeError — never another exception (a TypeError or RangeError would be a crash of
// the call path), and never a hang (each decode is timed against a generous bound). What
// decodes is stable: encoding it and decoding again gives the same message.
//
// FUZZ_RUNS sets the cases per property (default: a short run for the normal suite);
// `pnpm --filter @etcd-ts/server fuzz` runs thousands.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ProtoDecodeError, type MethodDefinition } from "@etcd-ts/api";
import { ALL_METHODS, anyBytes, mutatedEncoding, validEncoding } from "./support/messageArbitraries.js";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 300);
/** A decode of at most ~1 KB taking longer than this is a hang, not slowness. */
const DECODE_BOUND_MS = 1000;

/** One request type per codec (several RPCs share one). */
const methods: MethodDefinition<unknown, unknown>[] = [...new Map(ALL_METHODS.map((m) => [m.requestType.typeName, m])).values()];
let cases = 0;

/** decodes: returns the message, or undefined for a ProtoDecodeError; anything else fails the property. */
function decodes(method: MethodDefinition<unknown, unknown>, bytes: Uint8Array): unknown {
  const started = performance.now();
  cases++;
  let decoded: unknown;
  try {
    decoded = method.requestDeserialize(bytes);
  } catch (error) {
    if (!(error instanceof ProtoDecodeError)) throw new Error(`${method.requestType.typeName}: ${String(error)} for ${Buffer.from(bytes).toString("hex")}`, { cause: error });
  }
  const took = performance.now() - started;
  if (took > DECODE_BOUND_MS) throw new Error(`${method.requestType.typeName}: decoding ${bytes.length} bytes took ${took} ms`);
  return decoded;
}

/** plain turns byte fields into hex text, so that a Buffer and a Uint8Array of the same bytes compare equal. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** stable: what decoded survives another encode and decode unchanged. */
function stable(method: MethodDefinition<unknown, unknown>, decoded: unknown): void {
  if (decoded === undefined) return;
  const again = method.requestDeserialize(method.requestSerialize(decoded));
  assert.deepEqual(plain(again), plain(decoded));
}

const methodArb = fc.constantFrom(...methods);

test(`request types fuzzed: ${methods.length}`, () => {
  assert.ok(methods.length >= 40, methods.map((m) => m.requestType.typeName).join(", "));
});

test("random bytes: every request type decodes them or throws ProtoDecodeError", () => {
  fc.assert(
    fc.property(methodArb, anyBytes, (method, bytes) => stable(method, decodes(method, bytes))),
    { numRuns: RUNS },
  );
});

test("mutated valid encodings: decoded or refused with ProtoDecodeError, never otherwise", () => {
  fc.assert(
    fc.property(
      methodArb.chain((method) => fc.tuple(fc.constant(method), mutatedEncoding(method))),
      ([method, bytes]) => stable(method, decodes(method, bytes)),
    ),
    { numRuns: RUNS * 3 },
  );
});

test("valid encodings of random requests decode", () => {
  fc.assert(
    fc.property(
      methodArb.chain((method) => fc.tuple(fc.constant(method), validEncoding(method))),
      ([method, bytes]) => {
        const decoded = decodes(method, bytes);
        assert.notEqual(decoded, undefined, `${method.requestType.typeName} refused its own encoding ${Buffer.from(bytes).toString("hex")}`);
        stable(method, decoded);
      },
    ),
    { numRuns: RUNS },
  );
});

test("every request type against every message prefix of a valid encoding", () => {
  for (const method of methods) {
    const [bytes] = fc.sample(validEncoding(method), { numRuns: 1, seed: 42 });
    for (let cut = 0; cut <= bytes!.length; cut++) decodes(method, bytes!.subarray(0, cut));
  }
});

test("cases decoded in this run (reported)", (t) => {
  t.diagnostic(`decoder fuzz cases: ${cases}`);
  assert.ok(cases > RUNS);
});
