/**
 * argv: the command line read with Go's `flag` package rules, as etcd 3.4 reads it.
 *
 * `-flag` and `--flag` are the same; a value follows as `--flag=value` or `--flag value`;
 * a boolean flag takes no separate value (`--flag` is true, `--flag=false` is false);
 * `--` ends the flags; the first argument that is not a flag ends them too, and the rest
 * are positional (etcd refuses them later). A flag given twice keeps its last value.
 * Errors carry Go's texts (`flag provided but not defined: -bogus-flag`, ...).
 */
import { isBoolFlag, lookupFlag, parseFlagValue, type FlagValue } from "./flags.js";
import type { LogNote } from "./log.js";

/** ArgvResult is what the command line says, or why it cannot be read. */
export type ArgvResult =
  | {
      readonly kind: "flags";
      /** values are the flags given, by name (without dashes), parsed. */
      readonly values: ReadonlyMap<string, FlagValue>;
      /** positional are the arguments after the flags. */
      readonly positional: readonly string[];
      readonly notes: readonly LogNote[];
    }
  | { readonly kind: "help" }
  /** error: Go's flag error line; etcd prints it with the usage and exits 2. */
  | { readonly kind: "error"; readonly message: string };

/** parseArgv reads the arguments after the program name. */
export function parseArgv(argv: readonly string[], defaults: (name: string) => FlagValue): ArgvResult {
  const values = new Map<string, FlagValue>();
  const notes: LogNote[] = [];
  let index = 0;
  while (index < argv.length) {
    const arg = argv[index] ?? "";
    if (arg.length < 2 || !arg.startsWith("-")) break;
    if (arg === "--") {
      index++;
      break;
    }
    const body = arg.slice(arg.startsWith("--") ? 2 : 1);
    if (body === "" || body.startsWith("-") || body.startsWith("=")) return { kind: "error", message: `bad flag syntax: ${arg}` };
    index++;
    const eq = body.indexOf("=", 1);
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    const def = lookupFlag(name);
    if (!def) {
      if (name === "help" || name === "h") return { kind: "help" };
      return { kind: "error", message: `flag provided but not defined: -${name}` };
    }
    let text: string;
    if (isBoolFlag(def)) {
      text = inline ?? "true";
    } else if (inline !== undefined) {
      text = inline;
    } else if (index < argv.length) {
      text = argv[index] ?? "";
      index++;
    } else {
      return { kind: "error", message: `flag needs an argument: -${name}` };
    }
    if (def.kind === "ignored") {
      notes.push({ level: "warn", pkg: "pkg/flags", text: `flag "-${name}" is no longer supported - ignoring.` });
    }
    const parsed = parseFlagValue(def, text, values.get(name) ?? defaults(name));
    if (!parsed.ok) {
      const message = def.kind === "bool"
        ? `invalid boolean value ${goQuote(text)} for -${name}: ${parsed.error}`
        : `invalid value ${goQuote(text)} for flag -${name}: ${parsed.error}`;
      return { kind: "error", message };
    }
    values.set(name, parsed.value);
  }
  return { kind: "flags", values, positional: argv.slice(index), notes };
}

/** goQuote quotes a string as Go's `%q` does for printable text. */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}
