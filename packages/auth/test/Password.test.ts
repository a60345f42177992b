/** bcrypt: compatibility with Go's golang.org/x/crypto/bcrypt, one check at etcd's default cost. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bcryptHasher, normalizeBcryptCost, DEFAULT_BCRYPT_COST } from "../src/Password.js";

// golang.org/x/crypto/bcrypt's own test vectors ($2a$, cost 10)
const GO_VECTORS: [string, string][] = [
  ["allmine", "$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga"],
  ["012345678901234567890123456789012345678901234567890123456", "$2a$10$XajjQvNhvvRt5GSeFk1xFe5l47dONXg781AmZtd869sO8zfsHuw7C"],
  ["passw0rd", "$2a$10$LK9XRuhNxHHCvjX3tdkRKei1QiCDUKrJRhZv7WWZPuQGRUM92rOUa"],
];

test("hashes made by Go's bcrypt verify; wrong passwords and malformed hashes do not", async () => {
  for (const [password, hash] of GO_VECTORS) {
    assert.equal(await bcryptHasher.compare(password, hash), true, password);
    assert.equal(await bcryptHasher.compare(`${password}!`, hash), false);
  }
  assert.equal(await bcryptHasher.compare("", ""), false);
  assert.equal(await bcryptHasher.compare("x", "$2a$10$fooo"), false);
});

test("our hashes have Go's shape ($2b$, two-digit cost, 53 chars of salt+hash)", async () => {
  const hash = await bcryptHasher.hash("pässword", 4);
  assert.match(hash, /^\$2b\$04\$[./A-Za-z0-9]{53}$/);
  assert.equal(await bcryptHasher.compare("pässword", hash), true);
  const sync = bcryptHasher.hashSync("pw", 5);
  assert.match(sync, /^\$2b\$05\$/);
  assert.equal(await bcryptHasher.compare("pw", sync), true);
});

test("cost 10 (etcd's default) round trip", async () => {
  assert.equal(DEFAULT_BCRYPT_COST, 10);
  const hash = await bcryptHasher.hash("default-cost", 10);
  assert.match(hash, /^\$2b\$10\$/);
  assert.equal(await bcryptHasher.compare("default-cost", hash), true);
});

test("costs outside Go's 4..31 fall back to 10", () => {
  assert.deepEqual([3, 4, 10, 31, 32, 5.5].map(normalizeBcryptCost), [10, 4, 10, 31, 10, 10]);
});
