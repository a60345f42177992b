/**
 * Keys and values as the client accepts them, and the byte arithmetic etcd's range
 * conventions rest on.
 *
 * etcd keys and values are bytes. The client takes a `string` (encoded as UTF-8) or a
 * `Uint8Array` (used as is, never copied) wherever a key or value goes in, and hands out
 * `Uint8Array` views, with {@link text} / {@link json} to read them back.
 *
 * Range conventions (etcd's): a range is `[key, rangeEnd)`; `rangeEnd = prefixEnd(key)` is
 * every key with the prefix `key`; a `rangeEnd` of one zero byte (`"\0"`) means "every key
 * >= key"; `key = rangeEnd = "\0"` is the whole keyspace.
 */

/** Bytes is a key or value as the client accepts it: UTF-8 text or raw bytes. */
export type Bytes = string | Uint8Array;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** toBytes returns the bytes of a key or value: UTF-8 for a string, the array itself otherwise. */
export function toBytes(value: Bytes): Uint8Array {
  return typeof value === "string" ? encoder.encode(value) : value;
}

/** text decodes bytes as UTF-8 (invalid sequences become U+FFFD); `undefined` stays undefined. */
export function text(bytes: Uint8Array): string;
export function text(bytes: Uint8Array | undefined): string | undefined;
export function text(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : decoder.decode(bytes);
}

/** json parses bytes as UTF-8 JSON; `undefined` stays undefined. Throws SyntaxError on bad JSON. */
export function json<T = unknown>(bytes: Uint8Array | undefined): T | undefined {
  return bytes === undefined ? undefined : (JSON.parse(decoder.decode(bytes)) as T);
}

/** ZERO_BYTE is the one-byte range end `\0`: "every key from `key` on" in etcd's ranges. */
export const ZERO_BYTE: Uint8Array = new Uint8Array([0]);

/**
 * prefixEnd returns the range end that covers every key starting with `prefix`: the prefix
 * with its last byte below 0xff incremented and what follows dropped; for an empty prefix
 * or one made only of 0xff bytes it is `\0` (every key from `prefix` on), as in etcd.
 */
export function prefixEnd(prefix: Bytes): Uint8Array {
  const bytes = toBytes(prefix);
  for (let i = bytes.length - 1; i >= 0; i--) {
    const byte = bytes[i]!;
    if (byte < 0xff) {
      const end = bytes.slice(0, i + 1);
      end[i] = byte + 1;
      return end;
    }
  }
  return ZERO_BYTE;
}

/** concatBytes joins two byte arrays into a new one. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** startsWith reports whether `bytes` begins with `prefix`. */
export function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** compareBytes orders byte arrays as etcd does (unsigned, lexicographic). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
