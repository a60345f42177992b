/**
 * The `limits` command: runs limits.ts's scenarios and prints the table (or JSON).
 *
 * usage: node dist/limits/cli.js [--connections 10000] [--watchers 10000] [--leases 100000]
 *          [--servers etcd,etcd-ts] [--settle-ms 5000] [--json]
 */
import type { ServerKind } from "../side/servers.js";
import { runLimits, table, type LimitsOptions } from "./limits.js";

function flag(args: readonly string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const serversAt = args.indexOf("--servers");
  const options: LimitsOptions = {
    connections: flag(args, "connections", 10_000),
    watchers: flag(args, "watchers", 10_000),
    leases: flag(args, "leases", 100_000),
    servers: serversAt >= 0 ? (args[serversAt + 1]!.split(",") as ServerKind[]) : ["etcd", "etcd-ts"],
    settleMs: flag(args, "settle-ms", 5000),
  };
  const results = await runLimits(options, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(args.includes("--json") ? `${JSON.stringify(results, null, 2)}\n` : `${table(results)}\n`);
  if (results.some((r) => !r.stillServes)) process.exitCode = 1;
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
