/**
 * Property test of the store's permission checks against the dumb model: random users,
 * roles, grants and revocations applied through the store, then random requests checked
 * both ways, for every user.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { authpb, EtcdError, PermissionDeniedError } from "@etcd-ts/api";
import { keyArb, modelCovers, permArb, rangeEndArb } from "./support/model.js";
import { enableAuth, makeStore } from "./support/fixtures.js";

const USERS = ["u0", "u1", "u2"];
const ROLES = ["r0", "r1", "r2", "r3"];

const opArb = fc.oneof(
  fc.record({ op: fc.constant("grantRole" as const), user: fc.constantFrom(...USERS), role: fc.constantFrom(...ROLES) }),
  fc.record({ op: fc.constant("revokeRole" as const), user: fc.constantFrom(...USERS), role: fc.constantFrom(...ROLES) }),
  fc.record({ op: fc.constant("grantPerm" as const), role: fc.constantFrom(...ROLES), perm: permArb }),
  fc.record({ op: fc.constant("revokePerm" as const), role: fc.constantFrom(...ROLES), index: fc.nat(8) }),
  fc.record({ op: fc.constant("deleteRole" as const), role: fc.constantFrom(...ROLES) }),
);

const requestArb = fc.record({
  user: fc.constantFrom(...USERS, "ghost"),
  key: keyArb,
  rangeEnd: rangeEndArb,
  kind: fc.constantFrom("range", "put", "deleteRange"),
});

test("store permission checks agree with the model after random auth changes", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 25 }), fc.array(requestArb, { minLength: 1, maxLength: 15 }), (ops, requests) => {
      const { store } = makeStore();
      enableAuth(store);
      // the model: plain maps, updated by the same operations
      const userRoles = new Map<string, Set<string>>(USERS.map((u) => [u, new Set()]));
      const rolePerms = new Map<string, authpb.Permission[]>();
      for (const u of USERS) store.userAdd({ name: u, password: "", hashedPassword: "" });
      for (const r of ROLES) {
        store.roleAdd({ name: r });
        rolePerms.set(r, []);
      }
      for (const op of ops) {
        try {
          switch (op.op) {
            case "grantRole":
              store.userGrantRole({ user: op.user, role: op.role });
              if (rolePerms.has(op.role)) userRoles.get(op.user)?.add(op.role);
              break;
            case "revokeRole":
              store.userRevokeRole({ name: op.user, role: op.role });
              userRoles.get(op.user)?.delete(op.role);
              break;
            case "grantPerm": {
              store.roleGrantPermission({ name: op.role, perm: op.perm });
              const perms = (rolePerms.get(op.role) ?? []).filter((p) => !(Buffer.from(p.key).equals(op.perm.key) && Buffer.from(p.rangeEnd).equals(op.perm.rangeEnd)));
              rolePerms.set(op.role, [...perms, op.perm]);
              break;
            }
            case "revokePerm": {
              const perm = rolePerms.get(op.role)?.[op.index];
              if (perm === undefined) break;
              store.roleRevokePermission({ role: op.role, key: perm.key, rangeEnd: perm.rangeEnd });
              rolePerms.set(op.role, (rolePerms.get(op.role) ?? []).filter((p) => !(Buffer.from(p.key).equals(perm.key) && Buffer.from(p.rangeEnd).equals(perm.rangeEnd))));
              break;
            }
            case "deleteRole":
              store.roleDelete({ role: op.role });
              rolePerms.delete(op.role);
              for (const roles of userRoles.values()) roles.delete(op.role);
              break;
          }
        } catch (err) {
          assert.ok(err instanceof EtcdError, String(err)); // e.g. revoking a role not granted
        }
      }
      for (const req of requests) {
        const kind = req.kind === "range" ? authpb.Permission_Type.READ : authpb.Permission_Type.WRITE;
        const rangeEnd = req.kind === "put" ? new Uint8Array(0) : req.rangeEnd;
        const granted = [...(userRoles.get(req.user) ?? [])]
          .flatMap((r) => rolePerms.get(r) ?? [])
          .filter((p) => p.permType === kind || p.permType === authpb.Permission_Type.READWRITE);
        const expected = modelCovers(granted, req.key, rangeEnd);
        const ai = { username: req.user, revision: store.revision };
        let allowed = true;
        try {
          if (req.kind === "range") store.isRangePermitted(ai, req.key, rangeEnd);
          else if (req.kind === "put") store.isPutPermitted(ai, req.key);
          else store.isDeleteRangePermitted(ai, req.key, rangeEnd);
        } catch (err) {
          assert.ok(err instanceof PermissionDeniedError);
          allowed = false;
        }
        assert.equal(allowed, expected, JSON.stringify({ req, granted }));
      }
    }),
    { numRuns: 300 },
  );
});
