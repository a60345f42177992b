/**
 * configFile: `--config-file` (or `ETCD_CONFIG_FILE`), etcd's YAML configuration file.
 *
 * The keys are etcd's (`embed.Config`'s JSON names): mostly the flag names (`name`,
 * `data-dir`, `heartbeat-interval`, ...), with URL lists as comma-separated strings,
 * `log-outputs` as a YAML list, durations as integer nanoseconds (Go's `time.Duration`),
 * and TLS under `client-transport-security` / `peer-transport-security`. Keys match
 * case-insensitively, as Go's JSON decoding does. Values of the wrong type fail with Go's
 * decoding message; keys etcd does not know are ignored by etcd — here they also draw a
 * warning, since they are usually typos.
 *
 * When a config file is given, etcd ignores all other flags and `ETCD_*` variables; cli.ts
 * enforces that. Reading the file is the caller's (a `readFile` function is passed in).
 */
import { parse as parseYaml } from "yaml";
import { FLAGS, type FlagDef, type FlagValue } from "./flags.js";
import { parseEtcdUrls } from "./goValues.js";
import type { LogNote } from "./log.js";

/** ConfigFileResult is the file's settings, by flag name, or why it cannot be used. */
export type ConfigFileResult =
  | { readonly ok: true; readonly values: ReadonlyMap<string, FlagValue>; readonly notes: readonly LogNote[] }
  /** `verifying` errors are printed as etcd's "error verifying flags, ..."; others as-is. */
  | { readonly ok: false; readonly message: string; readonly verifying: boolean };

/** FILE_KEYS maps each config-file key (lower-cased, dotted for TLS) to its flag. */
const FILE_KEYS = new Map<string, FlagDef>(
  FLAGS.filter((def) => def.fileKey !== null).map((def) => [(def.fileKey ?? def.name).toLowerCase(), def]),
);

const LIST_KEYS = new Set(["log-outputs", "log-output", "cipher-suites"]);

function goType(def: FlagDef): string {
  switch (def.kind) {
    case "duration":
      return "time.Duration";
    case "strings":
      return LIST_KEYS.has(def.name) ? "[]string" : "string";
    case "urls":
    case "choice":
    case "string":
      return "string";
    default:
      return def.kind;
  }
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return "object";
  return typeof value === "boolean" ? "bool" : typeof value;
}

const INTEGER_LIMITS: Record<string, readonly [number, number]> = {
  uint: [0, 2 ** 64 - 1], uint64: [0, 2 ** 64 - 1], uint32: [0, 2 ** 32 - 1], int: [-(2 ** 63), 2 ** 63 - 1], int64: [-(2 ** 63), 2 ** 63 - 1],
};

type Decoded = { ok: true; value: FlagValue } | { ok: false; message: string; verifying: boolean };

function decode(def: FlagDef, key: string, raw: unknown): Decoded {
  const mismatch = (shown: string): Decoded => ({
    ok: false,
    verifying: true,
    message: `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${shown} into Go struct field configYAML.${key} of type ${goType(def)}`,
  });
  switch (def.kind) {
    case "string":
    case "choice":
      return typeof raw === "string" ? { ok: true, value: raw } : mismatch(jsonType(raw));
    case "bool":
    case "ignored":
      return typeof raw === "boolean" ? { ok: true, value: raw } : mismatch(jsonType(raw));
    case "duration":
      return typeof raw === "number" && Number.isInteger(raw) ? { ok: true, value: raw / 1e6 } : mismatch(typeof raw === "number" ? `number ${raw}` : jsonType(raw));
    case "urls": {
      if (typeof raw !== "string") return mismatch(jsonType(raw));
      const urls = parseEtcdUrls(raw);
      return urls.ok ? urls : { ok: false, verifying: false, message: `unexpected error setting up ${def.name}: ${urls.error}` };
    }
    case "strings":
      if (typeof raw === "string" && !LIST_KEYS.has(def.name)) return { ok: true, value: raw.split(",").map((part) => part.trim()) };
      if (Array.isArray(raw) && raw.every((item) => typeof item === "string")) return { ok: true, value: raw };
      return mismatch(jsonType(raw));
    default: {
      if (typeof raw !== "number") return mismatch(jsonType(raw));
      const [min, max] = INTEGER_LIMITS[def.kind] ?? [0, 0];
      return Number.isInteger(raw) && raw >= min && raw <= max ? { ok: true, value: raw } : mismatch(`number ${raw}`);
    }
  }
}

/**
 * parseConfigFile reads the text of a config file. `path` is only for messages.
 */
export function parseConfigFile(text: string, path: string): ConfigFileResult {
  let document: unknown;
  try {
    document = parseYaml(text, { version: "1.1" });
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split("\n")[0] ?? "").replace(/:$/, "") : String(error);
    return { ok: false, verifying: true, message: `error converting YAML to JSON: yaml: ${reason}` };
  }
  if (document === null || document === undefined) return { ok: true, values: new Map(), notes: [] };
  if (typeof document !== "object" || Array.isArray(document)) {
    return { ok: false, verifying: true, message: `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonType(document)} into Go value of type embed.configYAML` };
  }
  const values = new Map<string, FlagValue>();
  const notes: LogNote[] = [];
  const entries: [string, unknown][] = [];
  for (const [key, raw] of Object.entries(document as Record<string, unknown>)) { // a YAML mapping, checked above
    const lower = key.toLowerCase();
    if ((lower === "client-transport-security" || lower === "peer-transport-security") && raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
      for (const [inner, innerRaw] of Object.entries(raw)) entries.push([`${lower}.${inner.toLowerCase()}`, innerRaw]);
    } else {
      entries.push([lower, raw]);
    }
  }
  for (const [key, raw] of entries) {
    const def = FILE_KEYS.get(key);
    if (!def) {
      notes.push({ level: "warn", pkg: "etcdmain", text: `unrecognized key ${JSON.stringify(key)} in configuration file ${JSON.stringify(path)} - ignoring`, msg: "unrecognized key in configuration file", fields: { key, path } });
      continue;
    }
    if (raw === null) continue;
    const decoded = decode(def, key, raw);
    if (!decoded.ok) return decoded;
    values.set(def.name, decoded.value);
  }
  return { ok: true, values, notes };
}
