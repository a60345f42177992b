/**
 * Flag parsing in the style of etcd's benchmark (Go cobra/pflag): `--name value`,
 * `--name=value`, bare `--bool` (or `--bool=false`), global flags before or after the
 * command, positional arguments in between. Unknown flags and bad values are errors that
 * name the flag; nothing is guessed. It knows no command: callers pass the flag specs.
 */

/** FlagType is how a flag's value is read. */
export type FlagType = "string" | "int" | "float" | "bool" | "duration" | "list";

/** FlagValue is a parsed value: duration in milliseconds, list as strings. */
export type FlagValue = string | number | boolean | readonly string[];

/** FlagSpec declares one flag. */
export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly default: FlagValue;
  readonly usage: string;
}

/** ParsedArgs is the outcome of {@link parseArgs}: values by flag name, and positionals. */
export interface ParsedArgs {
  readonly values: ReadonlyMap<string, FlagValue>;
  /** set holds the flags given on the command line (not defaulted). */
  readonly set: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

/** FlagError is a command line we refuse, with a message naming the culprit. */
export class FlagError extends Error {
  override readonly name = "FlagError";
}

/**
 * parseDuration reads a Go-style duration ("1m30s", "500ms", "2s") or a bare number of
 * seconds, returning milliseconds.
 */
export function parseDuration(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, "µs": 0.001, ns: 0.000001 };
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = re.exec(text); match !== null; match = re.exec(text)) {
    total += Number(match[1]) * units[match[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed !== text.length || text.length === 0) throw new FlagError(`invalid duration ${JSON.stringify(text)}`);
  return total;
}

function convert(spec: FlagSpec, raw: string): FlagValue {
  switch (spec.type) {
    case "string":
      return raw;
    case "int": {
      if (!/^-?\d+$/.test(raw)) throw new FlagError(`invalid argument ${JSON.stringify(raw)} for "--${spec.name}": not an integer`);
      return Number(raw);
    }
    case "float": {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n)) throw new FlagError(`invalid argument ${JSON.stringify(raw)} for "--${spec.name}": not a number`);
      return n;
    }
    case "bool":
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      throw new FlagError(`invalid argument ${JSON.stringify(raw)} for "--${spec.name}": not a boolean`);
    case "duration":
      try {
        return parseDuration(raw);
      } catch {
        throw new FlagError(`invalid argument ${JSON.stringify(raw)} for "--${spec.name}": not a duration`);
      }
    case "list":
      return raw.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  }
}

/** parseArgs parses argv against `specs`; see the module comment. `--` ends the flags. */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, FlagValue>(specs.map((s) => [s.name, s.default]));
  const set = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = byName.get(name);
    if (!spec) throw new FlagError(`unknown flag: --${name}`);
    let raw: string;
    if (eq >= 0) raw = body.slice(eq + 1);
    else if (spec.type === "bool") raw = "true";
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new FlagError(`flag needs an argument: --${name}`);
      raw = next;
      i++;
    }
    values.set(name, convert(spec, raw));
    set.add(name);
  }
  return { values, set, positionals };
}

/** formatUsage renders flag specs as help lines, like pflag's FlagUsages. */
export function formatUsage(specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const kind = s.type === "bool" ? "" : ` ${s.type}`;
    const shown = Array.isArray(s.default) ? s.default.join(",") : String(s.default);
    const def = s.type === "bool" && s.default === false ? "" : ` (default ${JSON.stringify(shown)})`;
    return [`      --${s.name}${kind}`, `${s.usage}${def}`] as const;
  });
  const width = Math.max(0, ...rows.map(([left]) => left.length)) + 3;
  return rows.map(([left, right]) => left.padEnd(width) + right).join("\n");
}

/** Getter reads typed values out of {@link ParsedArgs}, failing loudly on a wrong type. */
export class Getter {
  constructor(private readonly parsed: ParsedArgs) {}

  /** string returns a string flag. */
  string(name: string): string {
    const v = this.parsed.values.get(name);
    if (typeof v !== "string") throw new Error(`flag --${name} is not a string flag`);
    return v;
  }

  /** number returns an int, float or duration (ms) flag. */
  number(name: string): number {
    const v = this.parsed.values.get(name);
    if (typeof v !== "number") throw new Error(`flag --${name} is not a numeric flag`);
    return v;
  }

  /** bool returns a boolean flag. */
  bool(name: string): boolean {
    const v = this.parsed.values.get(name);
    if (typeof v !== "boolean") throw new Error(`flag --${name} is not a bool flag`);
    return v;
  }

  /** list returns a list flag. */
  list(name: string): readonly string[] {
    const v = this.parsed.values.get(name);
    if (!Array.isArray(v)) throw new Error(`flag --${name} is not a list flag`);
    return v as readonly string[];
  }

  /** isSet tells whether the flag was given on the command line. */
  isSet(name: string): boolean {
    return this.parsed.set.has(name);
  }
}
