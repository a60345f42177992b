/**
 * env: `ETCD_*` environment variables as etcd 3.4 reads them (`pkg/flags.SetFlagsFromEnv`).
 *
 * Every flag has a variable: `ETCD_` + the name upper-cased with `-` → `_`
 * (`--data-dir` → `ETCD_DATA_DIR`). A non-empty variable sets its flag when the flag is not
 * on the command line. Like etcd 3.4 (and 3.5), a variable whose flag IS on the command line
 * is not silently overridden: etcd stops with "conflicting environment variable ... is
 * shadowed by corresponding command-line flag", so a deployment never runs with a value
 * its environment contradicts. Other `ETCD_*` variables draw a warning.
 * Not read here: `ETCD_CONFIG_FILE`, which cli.ts looks at first (it switches the source).
 */
import { goQuote } from "./argv.js";
import { FLAGS, parseFlagValue, type FlagValue } from "./flags.js";
import type { LogNote } from "./log.js";

/** ENV_PREFIX is etcd's prefix for its environment variables. */
export const ENV_PREFIX = "ETCD";

/** flagToEnv returns a flag's variable name: `data-dir` → `ETCD_DATA_DIR`. */
export function flagToEnv(name: string): string {
  return `${ENV_PREFIX}_${name.replaceAll("-", "_").toUpperCase()}`;
}

/** Environment is the process environment (`process.env`'s shape), in its own order. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** EnvResult is the flags with the environment applied, or why they cannot be. */
export type EnvResult =
  | {
      readonly kind: "ok";
      /** values are the command line's flags plus the ones the environment set. */
      readonly values: ReadonlyMap<string, FlagValue>;
      /** fromEnv are the flag names the environment set. */
      readonly fromEnv: ReadonlySet<string>;
      readonly notes: readonly LogNote[];
    }
  /** error: `fatal` is a conflict (etcd logs it at critical level); else an invalid value. */
  | { readonly kind: "error"; readonly fatal: boolean; readonly message: string; readonly notes: readonly LogNote[] };

/**
 * applyEnv sets, from the environment, the flags the command line did not give. Flags
 * are visited in name order as Go's `FlagSet.VisitAll` does; when several variables are
 * invalid, the last one's error is reported, as etcd does.
 */
export function applyEnv(fromArgv: ReadonlyMap<string, FlagValue>, env: Environment, defaults: (name: string) => FlagValue): EnvResult {
  const values = new Map(fromArgv);
  const fromEnv = new Set<string>();
  const usedKeys = new Set<string>();
  const shadowedKeys = new Set([...fromArgv.keys()].map(flagToEnv));
  const notes: LogNote[] = [];
  let error: string | undefined;
  for (const def of [...FLAGS].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const key = flagToEnv(def.name);
    const text = env[key];
    if (shadowedKeys.has(key) || text === undefined || text === "") continue;
    usedKeys.add(key);
    if (def.name === "config-file") continue;
    const parsed = parseFlagValue(def, text, defaults(def.name));
    if (!parsed.ok) {
      error = `invalid value ${goQuote(text)} for ${key}: ${parsed.error}`;
      continue;
    }
    values.set(def.name, parsed.value);
    fromEnv.add(def.name);
    if (def.kind === "ignored") notes.push({ level: "warn", pkg: "pkg/flags", text: `flag "-${def.name}" is no longer supported - ignoring.` });
    notes.push({ level: "info", pkg: "pkg/flags", text: `recognized and used environment variable ${key}=${text}`, msg: "recognized and used environment variable", fields: { name: key, value: text } });
  }
  for (const [key, text] of Object.entries(env)) {
    if (text === undefined || usedKeys.has(key)) continue;
    if (shadowedKeys.has(key)) {
      const message = `conflicting environment variable ${goQuote(key)} is shadowed by corresponding command-line flag (either unset environment variable or disable flag)`;
      return { kind: "error", fatal: true, message, notes };
    }
    if (key.startsWith(`${ENV_PREFIX}_`)) {
      notes.push({ level: "warn", pkg: "pkg/flags", text: `unrecognized environment variable ${key}=${text}`, msg: "unrecognized environment variable", fields: { name: key, value: text } });
    }
  }
  if (error !== undefined) return { kind: "error", fatal: false, message: error, notes };
  return { kind: "ok", values, fromEnv, notes };
}
