// CRC-32C (Castagnoli), the checksum etcd's hash and hashKV use. Table-driven,
// slicing by one byte: hashing is not on a hot path.

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Crc32c accumulates a CRC-32C over successive byte strings. */
export class Crc32c {
  private crc = 0xffffffff;

  /** update adds bytes to the checksum. */
  update(bytes: Uint8Array): this {
    let crc = this.crc;
    for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
    this.crc = crc;
    return this;
  }

  /** digest returns the checksum of everything added so far, as an unsigned 32-bit number. */
  digest(): number {
    return (this.crc ^ 0xffffffff) >>> 0;
  }
}
