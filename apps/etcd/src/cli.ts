/**
 * cli: the daemon's command-line front — argv, `ETCD_*` environment and `--config-file`
 * turned into what the process should do: run with a {@link DaemonConfig}, print the
 * version or the help, or stop with etcd's error text and exit code.
 *
 * The order is etcd 3.4's: flags are read first (a malformed or unknown flag: Go's message
 * and the usage on stderr, exit 2); arguments left over are refused (exit 1); `--version`
 * and `--help` win over everything after that; then either the config file (`--config-file`
 * or `ETCD_CONFIG_FILE`; other flags and variables are then ignored) or the environment
 * under the flags; then the checks of daemonConfig.ts (exit 1).
 *
 * `parseDaemonArgs` does no I/O of its own: the file reader, the data-dir probe and the
 * clock are options, so that it is testable; bin/etcd.js passes the real ones.
 */
import { readFileSync } from "node:fs";
import { parseArgv } from "./argv.js";
import { parseConfigFile } from "./configFile.js";
import { buildDaemonConfig, type DaemonConfig, type Settings } from "./daemonConfig.js";
import { applyEnv, flagToEnv, type Environment } from "./env.js";
import { lookupFlag, type FlagValue } from "./flags.js";
import { USAGE, flagsHelp } from "./help.js";
import { formatNote, type LogNote } from "./log.js";
import { versionText, type RuntimeInfo } from "./version.js";

/** DaemonArgsResult is what the daemon should do. */
export type DaemonArgsResult =
  /** run: start the server with `config`; `notes` are to be logged first. */
  | { readonly kind: "run"; readonly config: DaemonConfig; readonly notes: readonly LogNote[] }
  /** version: print `text` to stdout, exit 0. */
  | { readonly kind: "version"; readonly text: string }
  /** help: print `usage` to stderr and `text` (the flags) to stdout, exit 0, as etcd does. */
  | { readonly kind: "help"; readonly text: string; readonly usage: string }
  /**
   * error: print `notes` (formatted with {@link formatNote}) then `message` to stderr, and
   * exit with `exitCode`: 2 for flag syntax errors, 1 for invalid settings, as etcd.
   */
  | { readonly kind: "error"; readonly message: string; readonly exitCode: number; readonly notes: readonly LogNote[] };

/** DaemonArgsOptions are the I/O the parse needs, replaceable in tests. */
export interface DaemonArgsOptions {
  /** readFile reads the config file as UTF-8 text (default: node:fs readFileSync). */
  readonly readFile?: (path: string) => string;
  /** isInitialized: whether a data dir already holds a member (default: assume not). */
  readonly isInitialized?: (dataDir: string) => boolean;
  /** now: the clock for log lines in error messages (default: the current time). */
  readonly now?: () => Date;
  /** runtime: for `--version` (default: this process's). */
  readonly runtime?: RuntimeInfo;
}

const defaultOf = (name: string): FlagValue => lookupFlag(name)?.defaultValue ?? "";

/**
 * parseDaemonArgs reads the daemon's arguments (`process.argv.slice(2)`) and environment.
 */
export function parseDaemonArgs(argv: readonly string[], env: Environment, options: DaemonArgsOptions = {}): DaemonArgsResult {
  const now = options.now ?? (() => new Date());
  const line = (note: LogNote, logger = "capnslog"): string => `${formatNote(note, logger, now())}\n`;

  const first = argv[0];
  if (first === "gateway" || first === "grpc-proxy") {
    return { kind: "error", message: `etcd-ts does not implement 'etcd ${first}'; see 'etcd --help'.\n`, exitCode: 1, notes: [] };
  }

  const parsed = parseArgv(argv, defaultOf);
  if (parsed.kind === "help") return { kind: "help", text: flagsHelp(), usage: `${USAGE}\n` };
  if (parsed.kind === "error") return { kind: "error", message: `${parsed.message}\n${USAGE}\n`, exitCode: 2, notes: [] };
  const notes: LogNote[] = [...parsed.notes];

  const verifyError = (reason: string, logger = "capnslog", extra?: string, exitCode = 1): DaemonArgsResult => {
    let message = line({ level: "error", pkg: "etcdmain", text: `error verifying flags, ${reason}. See 'etcd --help'.`, msg: "failed to verify flags", zapLevel: "warn", fields: { error: reason } }, logger);
    if (extra !== undefined) message += line({ level: "error", pkg: "etcdmain", text: extra, msg: "advertise client URLs are not set", zapLevel: "warn", fields: { error: reason } }, logger);
    return { kind: "error", message, exitCode, notes };
  };

  const stray = parsed.positional[0];
  if (stray !== undefined) return verifyError(`'${stray}' is not a valid flag`);
  if (parsed.values.get("version") === true) {
    return { kind: "version", text: versionText(options.runtime ?? { nodeVersion: process.version, platform: process.platform, arch: process.arch }) };
  }

  let settings: Settings;
  const configFile = String(parsed.values.get("config-file") ?? "") || (env[flagToEnv("config-file")] ?? "");
  if (configFile !== "") {
    notes.push({
      level: "info", pkg: "etcdmain",
      text: `Loading server configuration from ${JSON.stringify(configFile)}. Other configuration command line flags and environment variables will be ignored if provided.`,
      msg: "loaded server configuration, other configuration command line flags and environment variables will be ignored if provided",
      fields: { path: configFile },
    });
    let text: string;
    try {
      text = (options.readFile ?? ((path: string) => readFileSync(path, "utf8")))(configFile);
    } catch (error) {
      return verifyError(readError(configFile, error));
    }
    const file = parseConfigFile(text, configFile);
    if (!file.ok) {
      return file.verifying ? verifyError(file.message) : { kind: "error", message: `${file.message}\n`, exitCode: 1, notes };
    }
    notes.push(...file.notes);
    settings = { source: "file", configFile, get: (name) => file.values.get(name) ?? defaultOf(name), isSet: (name) => file.values.has(name) };
  } else {
    const applied = applyEnv(parsed.values, env, defaultOf);
    notes.push(...applied.notes);
    if (applied.kind === "error") {
      if (!applied.fatal) return verifyError(applied.message);
      return { kind: "error", message: line({ level: "fatal", pkg: "pkg/flags", text: applied.message }), exitCode: 1, notes };
    }
    settings = {
      source: "flags",
      get: (name) => applied.values.get(name) ?? defaultOf(name),
      isSet: (name) => applied.values.has(name),
    };
  }

  const logger = settings.get("logger") === "zap" ? "zap" : "capnslog";
  const built = buildDaemonConfig(settings, options.isInitialized ? { isInitialized: options.isInitialized } : {});
  notes.push(...built.notes);
  if (!built.ok) {
    if (built.kind === "verify") return verifyError(built.message, logger, built.extra, built.exitCode);
    return { kind: "error", message: line({ level: "fatal", pkg: "etcdmain", text: built.message }, logger), exitCode: built.exitCode, notes };
  }
  return { kind: "run", config: built.config, notes };
}

/** readError words a failed read of the config file as Go's `os.Open` error does. */
function readError(path: string, error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT") return `open ${path}: no such file or directory`;
  if (code === "EACCES") return `open ${path}: permission denied`;
  if (code === "EISDIR") return `read ${path}: is a directory`;
  return `open ${path}: ${error instanceof Error ? error.message : String(error)}`;
}
