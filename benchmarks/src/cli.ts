/**
 * cli: `etcd-ts-benchmark [flags] <command> [flags]` — parses, runs, prints the reports
 * (text like etcd's benchmark, or JSON with `--json`) and returns the exit code. The
 * side-by-side runner is the separate `side-by-side` entry (see sideBySide.ts).
 */
import { findCommand, runCommand, usage } from "./commands.js";
import { FlagError } from "./flags.js";
import { formatReport } from "./Report.js";

/** main runs the CLI on argv (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  if (args.length === 0 || args.includes("--help") || args.includes("-h") || args[0] === "help") {
    process.stdout.write(usage(findCommand(args)));
    return 0;
  }
  try {
    const result = await runCommand(args);
    if (args.includes("--json") || args.includes("--json=true")) {
      process.stdout.write(`${JSON.stringify({ command: result.command, argv: result.argv, endpoints: result.endpoints, reports: result.reports }, null, 2)}\n`);
    } else {
      process.stdout.write(result.reports.map(formatReport).join("\n"));
    }
    const failed = result.reports.every((r) => r.count > 0 && Object.values(r.errors).reduce((a, b) => a + b, 0) === r.count);
    return failed ? 1 : 0;
  } catch (error) {
    if (error instanceof FlagError) {
      process.stderr.write(`Error: ${error.message}\nRun 'etcd-ts-benchmark --help' for usage.\n`);
      return 2;
    }
    process.stderr.write(`Error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
