/**
 * Byte-string helpers shared by the permission code: ordering, equality, and the two
 * encodings (UTF-8 names, base64url JWT parts) the package needs. Internal: not exported.
 */

/** compareBytes orders two byte strings the way etcd's `bytes.Compare` does (unsigned, lexicographic). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** equalBytes is true when both byte strings hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** isFromKeyEnd is true for the one-byte range end "\0", etcd's "to the end of the key space". */
export function isFromKeyEnd(rangeEnd: Uint8Array): boolean {
  return rangeEnd.length === 1 && rangeEnd[0] === 0;
}

/** pointEnd is the smallest key after `key`: `key + "\0"`. */
export function pointEnd(key: Uint8Array): Uint8Array {
  const end = new Uint8Array(key.length + 1);
  end.set(key);
  return end;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** utf8 encodes a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** fromUtf8 decodes bytes as UTF-8 (names are stored as bytes, handled as strings). */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
