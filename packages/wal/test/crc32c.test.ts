import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { crc32c, crc32cUpdate } from "../src/crc32c.js";

test("CRC-32C matches the standard check values", () => {
  // The check value of the Castagnoli CRC over "123456789" (RFC 3720, B.4).
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  // RFC 3720 B.4: 32 bytes of zeros, of 0xff.
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
});

test("updating in pieces equals one pass, for any split", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (data, at) => {
      const split = data.length === 0 ? 0 : at % data.length;
      assert.equal(crc32cUpdate(crc32cUpdate(0, data, 0, split), data, split), crc32c(data));
    }),
  );
});

test("the slicing-by-8 path agrees with a bit-by-bit reference", () => {
  const reference = (data: Uint8Array): number => {
    let c = 0xffffffff;
    for (const byte of data) {
      c ^= byte;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    return ~c >>> 0;
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (data) => assert.equal(crc32c(data), reference(data))));
});
