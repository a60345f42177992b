/**
 * CRC-32C (Castagnoli), the checksum of every WAL record and snapshot file.
 *
 * Slicing-by-8 over lookup tables: eight bytes per step, no native code. `update` continues
 * a running checksum, which is how the WAL chains the checksum from one record to the next.
 */

const POLY = 0x82f63b78; // Castagnoli, reflected

/** Eight 256-entry tables: TABLES[k][b] is the CRC of byte b followed by k zero bytes. */
const TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const base = tables[0]!;
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    base[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    let c = base[i]!;
    for (let t = 1; t < 8; t++) {
      c = (c >>> 8) ^ base[c & 0xff]!;
      tables[t]![i] = c >>> 0;
    }
  }
  return tables;
})();

/** crc32cUpdate continues the checksum `crc` over `data[start, end)`. Start a new one with 0. */
export function crc32cUpdate(crc: number, data: Uint8Array, start = 0, end = data.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = ~crc >>> 0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      t7[lo & 0xff]! ^
      t6[(lo >>> 8) & 0xff]! ^
      t5[(lo >>> 16) & 0xff]! ^
      t4[lo >>> 24]! ^
      t3[data[i + 4]!]! ^
      t2[data[i + 5]!]! ^
      t1[data[i + 6]!]! ^
      t0[data[i + 7]!]!;
  }
  for (; i < end; i++) c = (c >>> 8) ^ t0[(c ^ data[i]!) & 0xff]!;
  return ~c >>> 0;
}

/** crc32c is the CRC-32C of `data`. */
export function crc32c(data: Uint8Array): number {
  return crc32cUpdate(0, data);
}
