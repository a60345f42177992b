/**
 * help: the text of `etcd --help`, in etcd 3.4's layout — the usage block, then one
 * section per group of flags, each flag as `  --name 'default'` over an indented
 * description — generated from the flag table, with our own wording.
 *
 * etcd writes the usage block to stderr (it is also what follows a flag error) and the
 * flag sections to stdout; the two are kept apart here for that reason.
 */
import { FLAGS, HELP_SECTIONS, formatFlagValue } from "./flags.js";

/** USAGE is the usage block: what etcd prints before the flags, and after a flag error. */
export const USAGE = `Usage:

  etcd [flags]
    Start an etcd-ts member.

  etcd --version
    Print the version and exit.

  etcd -h | --help
    Print this help and exit.

  etcd --config-file
    Read the configuration from a YAML file. When a configuration file is given, all other command line flags and environment variables are ignored.
`;

/** flagsHelp returns the flag sections of `--help` (each flag with its default). */
export function flagsHelp(): string {
  const lines: string[] = [""];
  for (const section of HELP_SECTIONS) {
    const defs = FLAGS.filter((def) => def.section === section);
    if (defs.length === 0) continue;
    lines.push(`${section}:`);
    if (section === "TO BE DEPRECATED") lines.push("");
    for (const def of defs) {
      lines.push(`  --${def.name} '${def.shown ?? formatFlagValue(def, def.defaultValue)}'`);
      for (const line of def.usage.split("\n")) lines.push(`    ${line}`);
    }
    if (section === "Unsafe feature") lines.push("", "CAUTION: unsafe flags may break the guarantees given by the consensus protocol!");
    lines.push("");
  }
  lines.push("Every flag can also be set with an ETCD_* environment variable: --data-dir as ETCD_DATA_DIR.", "");
  return lines.join("\n");
}
