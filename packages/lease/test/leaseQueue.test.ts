// LeaseQueue against a sorted-array model under random operations.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { LeaseQueue } from "../src/index.js";

test("pops in deadline order whatever sets and deletes came before", () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant("set" as const), id: fc.bigInt({ min: 1n, max: 30n }), at: fc.integer({ min: 0, max: 1000 }) }),
    fc.record({ kind: fc.constant("delete" as const), id: fc.bigInt({ min: 1n, max: 30n }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const queue = new LeaseQueue();
      const model = new Map<bigint, number>();
      for (const o of ops) {
        if (o.kind === "set") {
          queue.set(o.id, o.at);
          model.set(o.id, o.at);
        } else {
          queue.delete(o.id);
          model.delete(o.id);
        }
      }
      assert.equal(queue.size, model.size);
      const popped: number[] = [];
      const ids = new Set<bigint>();
      for (let item = queue.pop(); item; item = queue.pop()) {
        popped.push(item.at);
        ids.add(item.id);
        assert.equal(model.get(item.id), item.at);
      }
      assert.deepEqual(popped, [...popped].sort((a, b) => a - b));
      assert.equal(ids.size, model.size);
    }),
  );
});
