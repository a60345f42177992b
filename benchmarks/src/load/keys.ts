/**
 * Key and value bytes for the workloads: fixed-size keys numbered like etcd's benchmark
 * (`--key-size` bytes, the number in decimal, zero-padded; a number with more digits than
 * the key size keeps its last digits, so keep `--key-space-size` below 10^key-size) and
 * values of `--val-size` random printable bytes.
 */

/** keyBytes returns key number `n` as exactly `size` bytes, after an optional prefix. */
export function keyBytes(n: number, size: number, prefix = ""): Uint8Array {
  const digits = String(n);
  const room = Math.max(0, size - prefix.length);
  const body = digits.length >= room ? digits.slice(digits.length - room) : digits.padStart(room, "0");
  return Buffer.from(prefix + body);
}

/** randomValue returns `size` random bytes from [a-z0-9]. */
export function randomValue(size: number): Uint8Array {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = alphabet.charCodeAt(Math.floor(Math.random() * alphabet.length));
  return out;
}

/** keyNumber picks the key number of operation `n`: sequential or uniformly random. */
export function keyNumber(n: number, keySpaceSize: number, sequential: boolean): number {
  const space = Math.max(1, keySpaceSize);
  return sequential ? n % space : Math.floor(Math.random() * space);
}
