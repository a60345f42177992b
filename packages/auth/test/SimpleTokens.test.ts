/** Simple tokens: format, TTL on a fake clock, renewal on use, invalidation. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../src/Clock.js";
import { SimpleTokenProvider, simpleTokenIndex, DEFAULT_SIMPLE_TOKEN_TTL_MS } from "../src/SimpleTokens.js";
import { counterRandom } from "./support/fixtures.js";

function provider(ttlMs?: number) {
  const clock = new ManualClock(5_000);
  const tokens = new SimpleTokenProvider({ clock, random: counterRandom(), ...(ttlMs !== undefined ? { ttlMs } : {}) });
  tokens.enable();
  return { clock, tokens };
}

test("token format is <16 letters>.<raft index>; prefixes are fresh letters", () => {
  const tokens = new SimpleTokenProvider();
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const prefix = tokens.genTokenPrefix();
    assert.match(prefix, /^[a-zA-Z]{16}$/);
    seen.add(prefix);
  }
  assert.equal(seen.size, 200);
  tokens.enable();
  assert.equal(tokens.assign("alice", 3, { index: 42, simpleTokenPrefix: "abcdefghijklmnop" }), "abcdefghijklmnop.42");
  assert.equal(simpleTokenIndex("abcdefghijklmnop.42"), 42);
  for (const bad of ["abc", "a.b.1", "abc.x", "abc.", "abc.1.5"]) assert.equal(simpleTokenIndex(bad), undefined, bad);
  assert.throws(() => tokens.assign("bob", 3, { index: 42, simpleTokenPrefix: "abcdefghijklmnop" }), /already assigned/);
});

test("rejection sampling draws all 52 letters (deterministic source)", () => {
  const tokens = new SimpleTokenProvider({ random: counterRandom() });
  const letters = new Set<string>();
  for (let i = 0; i < 40; i++) for (const ch of tokens.genTokenPrefix()) letters.add(ch);
  assert.equal(letters.size, 52);
});

test("default TTL is 300 s; a token expires ttl after its last use and is renewed by use", () => {
  const { clock, tokens } = provider();
  assert.equal(tokens.ttlMs, DEFAULT_SIMPLE_TOKEN_TTL_MS);
  const token = tokens.assign("alice", 1, { index: 7, simpleTokenPrefix: "P" });
  clock.advance(299_000);
  assert.deepEqual(tokens.info(token, 9), { username: "alice", revision: 9 }, "info reports the store's revision");
  clock.advance(299_000);
  assert.ok(tokens.info(token, 9), "renewed by the previous use");
  clock.advance(300_000);
  assert.ok(tokens.info(token, 9), "exactly ttl after last use is still valid");
  clock.advance(300_001);
  assert.equal(tokens.info(token, 9), undefined);
  assert.equal(tokens.size, 0, "an expired token is dropped when seen");
});

test("sweepExpired frees expired tokens only", () => {
  const { clock, tokens } = provider(10_000);
  tokens.assign("a", 1, { index: 1, simpleTokenPrefix: "A" });
  clock.advance(5_000);
  const b = tokens.assign("b", 1, { index: 2, simpleTokenPrefix: "B" });
  clock.advance(6_000);
  assert.equal(tokens.sweepExpired(), 1);
  assert.equal(tokens.size, 1);
  assert.ok(tokens.info(b, 1));
});

test("invalidation: by user, on disable; a disabled provider does not remember tokens", () => {
  const { tokens } = provider();
  const a1 = tokens.assign("alice", 1, { index: 1, simpleTokenPrefix: "X" });
  const a2 = tokens.assign("alice", 1, { index: 2, simpleTokenPrefix: "X" });
  const b1 = tokens.assign("bob", 1, { index: 3, simpleTokenPrefix: "X" });
  tokens.invalidateUser("alice");
  assert.equal(tokens.info(a1, 1), undefined);
  assert.equal(tokens.info(a2, 1), undefined);
  assert.ok(tokens.info(b1, 1));
  tokens.disable();
  assert.equal(tokens.info(b1, 1), undefined);
  const c = tokens.assign("carol", 1, { index: 4, simpleTokenPrefix: "X" });
  assert.equal(c, "X.4");
  assert.equal(tokens.info(c, 1), undefined);
  tokens.enable();
  assert.equal(tokens.info(c, 1), undefined);
});
