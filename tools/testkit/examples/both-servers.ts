// Start the real etcd and etcd-ts's daemon with the same flags, each on reserved ports,
// restart one on the same port and data dir, and stop both (their data dirs go with them).
import { startMember } from "../src/index.js";

const etcd = await startMember({ binary: "etcd", flags: ["--auto-compaction-retention", "1"] });
const etcdTs = await startMember({ binary: "etcd-ts", flags: ["--auto-compaction-retention", "1"], restartable: true });
try {
  for (const member of [etcd, etcdTs]) {
    const version = (await (await fetch(`${member.clientUrl}/version`)).json()) as { etcdserver: string };
    console.log(`${member.command[0]} pid ${member.pid} serves ${member.clientAddress}: etcdserver ${version.etcdserver}`);
  }
  await etcdTs.restart(); // same ports, same data dir, a new pid
  console.log(`etcd-ts restarted: pid ${etcdTs.pid}, healthy ${await etcdTs.healthy()}`);
} finally {
  await Promise.all([etcd.stop(), etcdTs.stop()]);
}

/** result is what the README's test checks. */
export const result = { addresses: [etcd.clientAddress, etcdTs.clientAddress], running: [etcd.running, etcdTs.running] };
