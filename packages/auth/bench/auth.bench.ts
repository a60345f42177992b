/**
 * Auth benchmark (`pnpm --filter @etcd-ts/auth bench`):
 *  1. permission checks for a user holding 1,000 roles × 10 ranges each (target < 2 µs/check):
 *     point keys (Put), ranges (Range), half allowed, half denied, through AuthStore's full
 *     check (enabled flag, revision, user lookup, root role, merged ranges);
 *  2. the cost of rebuilding that user's merged ranges after an auth change;
 *  3. bcrypt at cost 10: authentications per second (CheckPassword), one at a time and with
 *     the thread pool busy (concurrent logins).
 * Prints a Markdown table.
 */
import { AuthStore, MemoryAuthBackend, SimpleTokenProvider, authBench } from "./support.js";

const ROLES = 1_000;
const EMPTY = new Uint8Array(0);
const RANGES_PER_ROLE = 10;

function key(n: number): Uint8Array {
  return new TextEncoder().encode(`key/${n.toString().padStart(8, "0")}`);
}

function permissionBench(): { point: number; range: number; denied: number; deniedFault: number; rebuildMs: number; merged: number } {
  const store = new AuthStore({ backend: new MemoryAuthBackend(), tokenProvider: new SimpleTokenProvider(), bcryptCost: 4 });
  store.userAdd({ name: "root", password: "", hashedPassword: "" });
  store.userGrantRole({ user: "root", role: "root" });
  store.userAdd({ name: "u", password: "", hashedPassword: "" });
  // role r covers [key/(r*20+2i)*10, +10) for i < 10: 10,000 disjoint ranges with gaps.
  for (let r = 0; r < ROLES; r++) {
    const name = `role${r}`;
    store.roleAdd({ name });
    for (let i = 0; i < RANGES_PER_ROLE; i++) {
      const start = (r * RANGES_PER_ROLE * 2 + i * 2) * 10;
      store.roleGrantPermission({ name, perm: { permType: 2, key: key(start), rangeEnd: key(start + 10) } });
    }
    store.userGrantRole({ user: "u", role: name });
  }
  store.authEnable();
  const ai = { username: "u", revision: store.revision };
  const total = ROLES * RANGES_PER_ROLE * 20 * 10;
  const probes = Array.from({ length: 4096 }, (_, i) => key(Math.floor(((i * 7919) % 4096) / 4096 * total)));
  const rangeEnds = probes.map((k) => {
    const end = k.slice();
    end[end.length - 1] = (end[end.length - 1] as number) + 1;
    return end;
  });
  const t0 = performance.now();
  store.isPutPermitted(ai, probes[0] as Uint8Array);
  // (a denied check throws; count both outcomes)
  const rebuildMs = performance.now() - t0;
  const check = (fn: () => void): void => {
    try {
      fn();
    } catch {
      /* denied */
    }
  };
  const allowed = (k: Uint8Array): boolean => {
    try {
      store.isPutPermitted(ai, k);
      return true;
    } catch {
      return false;
    }
  };
  const okKeys = probes.filter(allowed);
  const okEnds = okKeys.map((k) => {
    const end = k.slice();
    end[end.length - 1] = (end[end.length - 1] as number) + 1;
    return end;
  });
  const deniedKeys = probes.filter((k) => !allowed(k)).slice(0, 512);
  const point = authBench(() => {
    for (let i = 0; i < okKeys.length; i++) store.isPutPermitted(ai, okKeys[i] as Uint8Array);
  }, okKeys.length);
  const range = authBench(() => {
    for (let i = 0; i < okKeys.length; i++) store.isRangePermitted(ai, okKeys[i] as Uint8Array, okEnds[i]);
  }, okKeys.length);
  const denied = authBench(() => {
    for (let i = 0; i < deniedKeys.length; i++) check(() => store.isPutPermitted(ai, deniedKeys[i] as Uint8Array));
  }, deniedKeys.length);
  const deniedFault = authBench(() => {
    for (let i = 0; i < deniedKeys.length; i++) store.opPermissionFault(ai, deniedKeys[i] as Uint8Array, EMPTY, 1);
  }, deniedKeys.length);
  void rangeEnds;
  return { point, range, denied, deniedFault, rebuildMs, merged: ROLES * RANGES_PER_ROLE };
}

async function bcryptBench(): Promise<{ serial: number; concurrent: number }> {
  const store = new AuthStore({ backend: new MemoryAuthBackend(), tokenProvider: new SimpleTokenProvider(), bcryptCost: 10 });
  store.userAdd({ name: "root", password: "", hashedPassword: await store.hashPassword("pw") });
  store.userGrantRole({ user: "root", role: "root" });
  store.authEnable();
  const N = 20;
  let t = performance.now();
  for (let i = 0; i < N; i++) await store.checkPassword("root", "pw");
  const serial = N / ((performance.now() - t) / 1000);
  t = performance.now();
  await Promise.all(Array.from({ length: N * 2 }, () => store.checkPassword("root", "pw")));
  const concurrent = (N * 2) / ((performance.now() - t) / 1000);
  return { serial, concurrent };
}

const perm = permissionBench();
const bc = await bcryptBench();
console.log(`auth bench — Node ${process.version}, ${ROLES} roles × ${RANGES_PER_ROLE} ranges (${perm.merged} merged intervals)\n`);
console.log("| measure | result | target |");
console.log("| --- | --- | --- |");
console.log(`| permission check, single key (Put), allowed | ${perm.point.toFixed(0)} ns/check | < 2,000 ns |`);
console.log(`| permission check, key range (Range), allowed | ${perm.range.toFixed(0)} ns/check | < 2,000 ns |`);
console.log(`| permission check, denied (throws PermissionDeniedError) | ${perm.denied.toFixed(0)} ns/check | — |`);
console.log(`| permission check, denied, without throwing (opPermissionFault) | ${perm.deniedFault.toFixed(0)} ns/check | < 2,000 ns |`);
console.log(`| rebuild of the user's merged ranges after an auth change | ${perm.rebuildMs.toFixed(1)} ms (once per change) | — |`);
console.log(`| bcrypt cost 10, one login at a time | ${bc.serial.toFixed(1)} auth/s | — |`);
console.log(`| bcrypt cost 10, 40 concurrent logins (libuv pool) | ${bc.concurrent.toFixed(1)} auth/s | — |`);
