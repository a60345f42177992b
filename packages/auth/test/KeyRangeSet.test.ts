/**
 * KeyRangeSet and RangePermCache against the dumb model, plus the cases observed on etcd 3.4.23.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { authpb } from "@etcd-ts/api";
import { KeyRangeSet } from "../src/KeyRangeSet.js";
import { RangePermCache, mergePermissions } from "../src/RangePermCache.js";
import { keyArb, modelCovers, permArb, rangeEndArb } from "./support/model.js";

const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const E = new Uint8Array(0);
const Z = Uint8Array.of(0);

test("KeyRangeSet.covers agrees with the model on random intervals and requests", () => {
  const intervalArb = fc.record({ key: fc.oneof(fc.constant(E), keyArb), rangeEnd: rangeEndArb });
  fc.assert(
    fc.property(fc.array(intervalArb, { maxLength: 8 }), keyArb, rangeEndArb, (granted, key, rangeEnd) => {
      const set = KeyRangeSet.from(granted);
      assert.equal(set.covers(key, rangeEnd), modelCovers(granted, key, rangeEnd));
      if (rangeEnd.length === 0) assert.equal(set.coversKey(key), modelCovers(granted, key, E));
    }),
    { numRuns: 2000 },
  );
});

test("merged intervals are disjoint, non-adjacent and sorted", () => {
  const intervalArb = fc.record({ key: keyArb, rangeEnd: rangeEndArb });
  fc.assert(
    fc.property(fc.array(intervalArb, { maxLength: 10 }), (granted) => {
      const ivs = KeyRangeSet.from(granted).intervals();
      for (let i = 1; i < ivs.length; i++) {
        const prevEnd = ivs[i - 1]?.end;
        assert.ok(prevEnd !== null && prevEnd !== undefined);
        assert.ok(Buffer.compare(prevEnd, (ivs[i] as { start: Uint8Array }).start) < 0);
      }
    }),
    { numRuns: 500 },
  );
});

test("etcd 3.4.23 observations: read [a,c) and key k", () => {
  const set = KeyRangeSet.from([
    { key: b("a"), rangeEnd: b("c") },
    { key: b("k"), rangeEnd: E },
  ]);
  assert.equal(set.covers(b("b"), b("a")), true, "get b a: inverted request, b covered");
  assert.equal(set.covers(b("x"), b("a")), false, "get x a");
  assert.equal(set.covers(b("x"), b("k")), false, "get x k");
  assert.equal(set.covers(b("k"), b("k")), true, "get k k");
  assert.equal(set.covers(b("a"), b("c")), true, "get a c");
  assert.equal(set.covers(b("a"), b("ca")), false, "get a ca");
  assert.equal(set.covers(b("k"), b("l")), false, "get k --prefix");
  assert.equal(set.covers(b("k"), E), true);
  const wider = KeyRangeSet.from([...set.intervals().map((iv) => ({ key: iv.start, rangeEnd: iv.end ?? Z })), { key: b("c"), rangeEnd: b("e") }]);
  assert.equal(wider.covers(b("a"), b("e")), true, "adjacent [a,c) + [c,e) cover [a,e)");
});

test("from-key permissions and requests", () => {
  const set = KeyRangeSet.from([{ key: b("k"), rangeEnd: Z }]);
  assert.equal(set.covers(b("k"), Z), true);
  assert.equal(set.covers(b("zzzz"), Z), true);
  assert.equal(set.covers(b("j"), Z), false);
  assert.equal(set.covers(b("k"), b("\xff")), true);
  assert.equal(set.size, 1);
  // the whole key space, as etcdctl sends `--prefix ""`
  const all = KeyRangeSet.from([{ key: Z, rangeEnd: Z }]);
  assert.equal(all.covers(Z, Z), true);
  assert.equal(all.covers(b("anything"), E), true);
  // an empty key covers nothing (etcd orders "" after every key)
  assert.equal(KeyRangeSet.from([{ key: E, rangeEnd: Z }]).covers(b("a"), E), false);
  assert.equal(KeyRangeSet.empty.covers(b("a"), E), false);
  assert.equal(all.covers(E, Z), false, "an empty request key is never covered");
});

test("mergePermissions splits READ, WRITE and READWRITE", () => {
  const { read, write } = mergePermissions([
    authpb.Permission.create({ permType: authpb.Permission_Type.READ, key: b("r") }),
    authpb.Permission.create({ permType: authpb.Permission_Type.WRITE, key: b("w") }),
    authpb.Permission.create({ permType: authpb.Permission_Type.READWRITE, key: b("p"), rangeEnd: b("q") }),
  ]);
  assert.deepEqual([read.coversKey(b("r")), read.coversKey(b("w")), read.coversKey(b("p1"))], [true, false, true]);
  assert.deepEqual([write.coversKey(b("r")), write.coversKey(b("w")), write.coversKey(b("p1"))], [false, true, true]);
});

test("RangePermCache: per-user union over roles, unknown users and roles, invalidation", () => {
  const roles = new Map<string, authpb.Permission[]>([
    ["r1", [authpb.Permission.create({ permType: authpb.Permission_Type.READ, key: b("a"), rangeEnd: b("c") })]],
    ["r2", [authpb.Permission.create({ permType: authpb.Permission_Type.READ, key: b("c"), rangeEnd: b("e") })]],
  ]);
  const users = new Map<string, string[]>([["u", ["r1", "r2", "gone"]]]);
  let builds = 0;
  const cache = new RangePermCache({
    userRoles: (name) => {
      builds++;
      return users.get(name);
    },
    rolePermissions: (name) => roles.get(name),
  });
  assert.equal(cache.isPermitted("u", b("a"), b("e"), authpb.Permission_Type.READ), true);
  assert.equal(cache.isPermitted("u", b("a"), b("e"), authpb.Permission_Type.WRITE), false);
  assert.equal(cache.isPermitted("u", b("a"), b("e"), authpb.Permission_Type.READWRITE), false);
  assert.equal(cache.isPermitted("nobody", b("a"), E, authpb.Permission_Type.READ), false);
  cache.isPermitted("u", b("b"), E, authpb.Permission_Type.READ);
  assert.equal(builds, 2, "one build per user until invalidated");
  roles.delete("r2");
  assert.equal(cache.isPermitted("u", b("a"), b("e"), authpb.Permission_Type.READ), true, "stale until invalidated");
  cache.invalidate();
  assert.equal(cache.isPermitted("u", b("a"), b("e"), authpb.Permission_Type.READ), false);
  assert.equal(cache.get("u")?.isRoot, false);
});

test("RangePermCache agrees with the model for random roles", () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(permArb, { maxLength: 5 }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.nat(3), { maxLength: 4 }),
      keyArb,
      rangeEndArb,
      fc.constantFrom(authpb.Permission_Type.READ, authpb.Permission_Type.WRITE),
      (rolePerms, held, key, rangeEnd, kind) => {
        const cache = new RangePermCache({
          userRoles: (name) => (name === "u" ? held.map((i) => `r${i}`) : undefined),
          rolePermissions: (name) => rolePerms[Number(name.slice(1))],
        });
        const granted = held.flatMap((i) => rolePerms[i] ?? []).filter((p) => p.permType === kind || p.permType === authpb.Permission_Type.READWRITE);
        assert.equal(cache.isPermitted("u", key, rangeEnd, kind), modelCovers(granted, key, rangeEnd));
      },
    ),
    { numRuns: 1000 },
  );
});
