/**
 * A deliberately dumb model of etcd's permission semantics, for property tests: no sorting,
 * no merging, just "is every key of the request inside some granted interval?", decided by
 * looking at the only places an uncovered gap can start (the request's first key and the
 * granted intervals' ends).
 */
import fc from "fast-check";
import { authpb } from "@etcd-ts/api";

/** cmp is a plain byte-wise comparison written independently of src/. */
export function cmp(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

type End = Uint8Array | "inf";

function toInterval(key: Uint8Array, rangeEnd: Uint8Array): [Uint8Array, End] | undefined {
  if (key.length === 0) return undefined;
  if (rangeEnd.length === 0) return [key, Buffer.concat([key, Buffer.from([0])])];
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return [key, "inf"];
  if (cmp(rangeEnd, key) <= 0) return undefined;
  return [key, rangeEnd];
}

function inside(point: Uint8Array, [s, e]: [Uint8Array, End]): boolean {
  return cmp(s, point) <= 0 && (e === "inf" || cmp(point, e) < 0);
}

/** modelCovers decides whether the granted permissions cover the request range. */
export function modelCovers(granted: readonly { key: Uint8Array; rangeEnd: Uint8Array }[], key: Uint8Array, rangeEnd: Uint8Array): boolean {
  const ivs = granted.map((g) => toInterval(g.key, g.rangeEnd)).filter((x): x is [Uint8Array, End] => x !== undefined);
  if (key.length === 0) return false;
  const isPoint = rangeEnd.length === 0 || (!(rangeEnd.length === 1 && rangeEnd[0] === 0) && cmp(rangeEnd, key) <= 0);
  if (isPoint) return ivs.some((iv) => inside(key, iv));
  const qEnd: End = rangeEnd.length === 1 && rangeEnd[0] === 0 ? "inf" : rangeEnd;
  const candidates = [key, ...ivs.map(([, e]) => e).filter((e): e is Uint8Array => e !== "inf" && cmp(e, key) >= 0 && (qEnd === "inf" || cmp(e, qEnd) < 0))];
  return candidates.every((p) => ivs.some((iv) => inside(p, iv)));
}

/** A small alphabet (with the edge bytes 0x00 and 0xff) so that random ranges overlap often. */
export const keyArb = fc.uint8Array({ minLength: 1, maxLength: 3 }).map((bytes) => Uint8Array.from(bytes, (b) => [0x00, 0x61, 0x62, 0x63, 0xff][b % 5] as number));

/** rangeEndArb: a single key, "from key", or any key (possibly below the start). */
export const rangeEndArb = fc.oneof(
  fc.constant(new Uint8Array(0)),
  fc.constant(Uint8Array.of(0)),
  keyArb,
  keyArb,
);

/** permArb: a random permission. */
export const permArb = fc.record({
  permType: fc.constantFrom(authpb.Permission_Type.READ, authpb.Permission_Type.WRITE, authpb.Permission_Type.READWRITE),
  key: fc.oneof({ weight: 1, arbitrary: fc.constant(new Uint8Array(0)) }, { weight: 9, arbitrary: keyArb }),
  rangeEnd: rangeEndArb,
});
