// Conversions between key bytes and the latin1 strings the key index holds (one char per
// byte, so string order is byte order).

/** keyString turns key bytes into the index's string form. */
export function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
}

/** keyBytes turns the index's string form back into key bytes. */
export function keyBytes(key: string): Buffer {
  return Buffer.from(key, "latin1");
}

/** compareBytes orders byte strings as etcd (Go's bytes.Compare) does. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
