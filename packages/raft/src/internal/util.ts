/**
 * Small helpers shared inside raft: size-limiting entry slices, byte comparison, a default
 * deterministic random source. Not exported from the package.
 */
import { entrySize } from "../codec.js";
import type { Entry } from "../types.js";

/** NO_LIMIT is the size limit meaning "unlimited". */
export const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * limitSize returns the longest prefix of `ents` whose total encoded size is at most `maxSize`,
 * but always at least one entry. It returns `ents` itself when nothing is cut.
 */
export function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length <= 1 || maxSize >= NO_LIMIT) return ents;
  let size = entrySize(ents[0]!);
  for (let i = 1; i < ents.length; i++) {
    size += entrySize(ents[i]!);
    if (size > maxSize) return ents.slice(0, i);
  }
  return ents;
}

/** payloadSize is the size counted against MaxUncommittedEntriesSize: the data length. */
export function payloadsSize(ents: readonly Entry[]): number {
  let s = 0;
  for (const e of ents) s += e.data.length;
  return s;
}

/** bytesEqual compares two byte arrays by content. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** bytesKey turns bytes into a string usable as a Map key (one char per byte). */
export function bytesKey(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** seededRandom returns a deterministic PRNG (mulberry32) yielding floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** sortIds sorts node IDs ascending, in place, and returns the array. */
export function sortIds(ids: bigint[]): bigint[] {
  return ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
