/**
 * Lease benchmark: 100,000 leases expiring at once on the leader. The lessor is driven as
 * the server drives it — every 500 ms `expiredLeases()` hands out a batch, each is "proposed"
 * and applied (revoke) — on real time, while the event loop's delay is sampled.
 * Reported: revokes per second against the configured rate, the cost of one batch, the
 * cost of promote() over 100k leases, and the event loop's max delay.
 *
 * usage: pnpm --filter @etcd-ts/lease bench [--leases=100000] [--rate=1000] [--seconds=5]
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Lessor } from "../src/index.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const leases = Number(args.get("leases") ?? 100_000);
const rate = Number(args.get("rate") ?? 1000);
const seconds = Number(args.get("seconds") ?? 5);

const lessor = new Lessor({ minLeaseTTL: 2, now: () => performance.now(), revokeRate: rate });
for (let i = 1; i <= leases; i++) lessor.grant(BigInt(i), 2);
lessor.drainPersistence();

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
let t = performance.now();
lessor.promote(0);
const promoteMs = performance.now() - t;

// Wait until the first leases are due, then tick every 500 ms as the server does.
await new Promise((r) => setTimeout(r, 2_100));
let revoked = 0;
let worstBatchMs = 0;
const start = performance.now();
while (performance.now() - start < seconds * 1000) {
  t = performance.now();
  const expired = lessor.expiredLeases();
  for (const id of expired) lessor.revoke(id);
  lessor.drainPersistence();
  worstBatchMs = Math.max(worstBatchMs, performance.now() - t);
  revoked += expired.length;
  await new Promise((r) => setTimeout(r, 500));
}
const elapsed = (performance.now() - start) / 1000;
loop.disable();

console.log(`\nLease benchmark — node ${process.version}, ${leases} leases expiring at once, revoke rate ${rate}/s\n`);
console.log("| measure | value |");
console.log("| --- | ---: |");
console.log(`| revokes handed out per second | ${(revoked / elapsed).toFixed(0)} (configured ${rate}) |`);
console.log(`| worst 500 ms batch (expiredLeases + revoke) | ${worstBatchMs.toFixed(2)} ms |`);
console.log(`| promote() over ${leases} leases | ${promoteMs.toFixed(1)} ms |`);
console.log(`| event loop delay, max over the run | ${(loop.max / 1e6).toFixed(1)} ms |`);
console.log(`| event loop delay, p99 | ${(loop.percentile(99) / 1e6).toFixed(1)} ms |`);
