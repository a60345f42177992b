/**
 * goValues: how etcd's flag values are read from text, the way Go's `flag` and `strconv`
 * packages and etcd's `pkg/types.NewURLs` read them, with their error texts.
 *
 * Each parser returns the value or the short error etcd's flag package reports after the
 * value ("parse error", "value out of range", "URL scheme must be ..."); callers wrap it in
 * the flag-level message. Not a general Go-compatibility layer: only what etcd's flags use.
 */
import { isIP } from "node:net";

/** ParseResult is a parsed value or the error text etcd prints for it. */
export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const fail = <T>(error: string): ParseResult<T> => ({ ok: false, error });

/** PARSE_ERROR is Go's flag error for text that is not a number, bool or duration. */
export const PARSE_ERROR = "parse error";
/** RANGE_ERROR is Go's flag error for a number outside its type. */
export const RANGE_ERROR = "value out of range";

/** IntegerType names the Go integer types etcd's flags use, with their ranges. */
export type IntegerType = "uint" | "uint32" | "uint64" | "int" | "int64";

const RANGES: Record<IntegerType, readonly [bigint, bigint]> = {
  uint: [0n, 2n ** 64n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  int: [-(2n ** 63n), 2n ** 63n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
};

/**
 * parseGoInteger reads an integer as `strconv.ParseInt/ParseUint(text, 0, bits)`: decimal,
 * `0x`/`0o`/`0b` prefixes, a leading `0` for octal, `_` between digits when a prefix is
 * given; a sign only for signed types. Values beyond 2^53 lose precision as JS numbers.
 */
export function parseGoInteger(text: string, type: IntegerType): ParseResult<number> {
  const signed = type === "int" || type === "int64";
  let rest = text;
  let negative = false;
  if (signed && (rest.startsWith("-") || rest.startsWith("+"))) {
    negative = rest.startsWith("-");
    rest = rest.slice(1);
  }
  let base = 10;
  let prefixed = false;
  const lower = rest.toLowerCase();
  if (lower.startsWith("0x")) [base, rest, prefixed] = [16, rest.slice(2), true];
  else if (lower.startsWith("0o")) [base, rest, prefixed] = [8, rest.slice(2), true];
  else if (lower.startsWith("0b")) [base, rest, prefixed] = [2, rest.slice(2), true];
  else if (rest.length > 1 && rest.startsWith("0")) [base, rest, prefixed] = [8, rest.slice(1), true];
  if (prefixed && rest.includes("_")) {
    if (!/^_?[0-9a-zA-Z]+(_[0-9a-zA-Z]+)*$/.test(rest)) return fail(PARSE_ERROR);
    rest = rest.replaceAll("_", "");
  }
  const digits = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[base as 2 | 8 | 10 | 16];
  if (!digits.test(rest)) return fail(PARSE_ERROR);
  let magnitude = 0n;
  for (const digit of rest) magnitude = magnitude * BigInt(base) + BigInt(parseInt(digit, 16));
  const value = negative ? -magnitude : magnitude;
  const [min, max] = RANGES[type];
  if (value < min || value > max) return fail(RANGE_ERROR);
  return ok(Number(value));
}

/** parseGoBool reads a boolean as `strconv.ParseBool`: 1 t T TRUE true True, 0 f F FALSE false False. */
export function parseGoBool(text: string): ParseResult<boolean> {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return ok(true);
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return ok(false);
  return fail(PARSE_ERROR);
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000,
};

/**
 * parseGoDuration reads a duration as `time.ParseDuration` ("300ms", "1h30m", "-1.5s", "0")
 * and returns it in milliseconds.
 */
export function parseGoDuration(text: string): ParseResult<number> {
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return ok(0);
  if (rest === "") return fail(PARSE_ERROR);
  let total = 0;
  const part = /^(\d*(?:\.\d*)?)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest.length > 0) {
    const match = part.exec(rest);
    const number = match?.[1];
    const unit = match?.[2];
    if (!match || number === undefined || unit === undefined || number === "" || number === ".") return fail(PARSE_ERROR);
    total += Number(number) * (UNIT_MS[unit] ?? 0);
    rest = rest.slice(match[0].length);
  }
  return ok(sign * total);
}

/**
 * formatGoDuration writes milliseconds as Go's `time.Duration.String` does for the values
 * etcd's help shows ("5s", "2h0m0s", "100ms", "0s").
 */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** SplitHostPort is `net.SplitHostPort`'s result: host without brackets, and port. */
function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  if (hostport.startsWith("[")) {
    const end = hostport.indexOf("]");
    if (end < 0 || hostport[end + 1] !== ":") return undefined;
    return { host: hostport.slice(1, end), port: hostport.slice(end + 2) };
  }
  const colon = hostport.lastIndexOf(":");
  if (colon < 0 || hostport.indexOf(":") !== colon) return undefined;
  return { host: hostport.slice(0, colon), port: hostport.slice(colon + 1) };
}

/** ParsedUrl is the part of Go's `url.URL` etcd's checks look at. */
export interface ParsedUrl {
  readonly scheme: string;
  /** host is the URL's `host:port` authority. */
  readonly host: string;
  /** hostname is the host without port or IPv6 brackets. */
  readonly hostname: string;
  /** text is the URL as Go's `url.URL.String` writes it back (scheme lower-cased). */
  readonly text: string;
}

/**
 * parseEtcdUrl reads one URL as etcd's `types.NewURLs` does: Go's `url.Parse`, then scheme
 * http/https/unix/unixs, an authority of the form host:port, and no path.
 */
export function parseEtcdUrl(input: string): ParseResult<ParsedUrl> {
  const text = input.trim();
  let scheme = "";
  let rest = text;
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(text);
  if (schemeMatch?.[1] !== undefined) {
    scheme = schemeMatch[1].toLowerCase();
    rest = text.slice(schemeMatch[0].length);
  } else if (text.startsWith(":")) {
    return fail(`parse ${JSON.stringify(text)}: missing protocol scheme`);
  } else {
    const firstSegment = text.split("/")[0] ?? "";
    if (firstSegment.includes(":")) return fail(`parse ${JSON.stringify(text)}: first path segment in URL cannot contain colon`);
  }
  if (!["http", "https", "unix", "unixs"].includes(scheme)) {
    return fail(`URL scheme must be http, https, unix, or unixs: ${text}`);
  }
  let authority = "";
  let path: string;
  rest = rest.split(/[?#]/)[0] ?? "";
  if (rest.startsWith("//")) {
    const slash = rest.indexOf("/", 2);
    authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    path = slash < 0 ? "" : rest.slice(slash);
  } else {
    path = rest;
  }
  const hostport = authority.includes("@") ? authority.slice(authority.lastIndexOf("@") + 1) : authority;
  const split = splitHostPort(hostport);
  if (!split) return fail(`URL address does not have the form "host:port": ${text}`);
  if (path !== "") return fail(`URL must not contain a path: ${text}`);
  return ok({ scheme, host: hostport, hostname: split.host, text: `${scheme}:${text.slice(text.indexOf(":") + 1)}` });
}

/**
 * parseEtcdUrls reads a comma-separated URL list as etcd's URL flags do: every URL valid,
 * duplicates dropped, sorted by text.
 */
export function parseEtcdUrls(text: string): ParseResult<string[]> {
  const urls = new Set<string>();
  for (const part of text.split(",")) {
    const parsed = parseEtcdUrl(part);
    if (!parsed.ok) return parsed;
    urls.add(parsed.value.text);
  }
  return ok([...urls].sort());
}

/**
 * checkBindUrl is etcd's `checkBindURLs` for one URL: a listen URL's host must be an IP
 * address or `localhost` (unix sockets excepted). Returns the error text, or undefined.
 */
export function checkBindUrl(url: string): string | undefined {
  const parsed = parseEtcdUrl(url);
  if (!parsed.ok) return parsed.error;
  if (parsed.value.scheme === "unix" || parsed.value.scheme === "unixs") return undefined;
  const host = parsed.value.hostname;
  if (host === "localhost" || isIP(host) !== 0) return undefined;
  return `expected IP in URL for binding (${url})`;
}

/** checkHostUrl is etcd's `checkHostURLs` for one URL: an advertised URL needs a host. */
export function checkHostUrl(url: string): string | undefined {
  const parsed = parseEtcdUrl(url);
  if (!parsed.ok) return parsed.error;
  return parsed.value.hostname === "" ? `unexpected empty host (${url})` : undefined;
}
