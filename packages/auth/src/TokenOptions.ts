/**
 * TokenOptions: etcd's `--auth-token` flag turned into a {@link TokenProvider}.
 *
 * The flag is `simple` (the default) or `jwt,<name>=<value>,...` with the options
 * `sign-method` (required), `pub-key` and `priv-key` (PEM file paths; HMAC methods use the
 * `priv-key` file's bytes as the secret) and `ttl` (a Go duration such as `5m`, `300s`,
 * `1h30m`; default 5m). Unknown options are ignored, as etcd only warns about them; an option
 * without `=` or given twice fails with etcd's "auth: invalid auth options". The simple
 * tokens' TTL is a separate flag, `--auth-token-ttl` (seconds, default 300).
 *
 * Reading key files is the only I/O; the reader is injectable for tests.
 */
import { readFileSync } from "node:fs";
import type { Clock } from "./Clock.js";
import { AuthConfigError } from "./errors.js";
import { isJwtSignMethod, JwtTokenProvider } from "./JwtTokens.js";
import type { RandomSource } from "./RandomSource.js";
import { SimpleTokenProvider } from "./SimpleTokens.js";
import type { TokenProvider } from "./TokenProvider.js";

/** AuthTokenSpec is the parsed `--auth-token` value. */
export interface AuthTokenSpec {
  /** type is the token type: "simple" or "jwt" (others are rejected when creating a provider). */
  readonly type: string;
  /** options are the `name=value` pairs after the type. */
  readonly options: ReadonlyMap<string, string>;
}

/** parseAuthTokenSpec splits `type,name=value,...`; throws AuthConfigError on a malformed pair. */
export function parseAuthTokenSpec(flag: string): AuthTokenSpec {
  const [type = "", ...pairs] = flag.split(",");
  const options = new Map<string, string>();
  for (const pair of pairs) {
    const parts = pair.split("=");
    if (parts.length !== 2 || options.has(parts[0] as string)) throw new AuthConfigError(AuthConfigError.INVALID_OPTIONS);
    options.set(parts[0] as string, parts[1] as string);
  }
  return { type, options };
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * parseGoDuration parses a Go `time.Duration` string ("300s", "5m", "1h30m", "1.5h", "-2s",
 * "0") into milliseconds; throws AuthConfigError when it is not one.
 */
export function parseGoDuration(text: string): number {
  const match = /^([+-]?)(.*)$/.exec(text) as RegExpExecArray;
  const sign = match[1] === "-" ? -1 : 1;
  let rest = match[2] as string;
  if (rest === "0") return 0;
  if (rest === "") throw new AuthConfigError(`time: invalid duration "${text}"`);
  let total = 0;
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest.length > 0) {
    const m = part.exec(rest);
    if (m === null) throw new AuthConfigError(`time: invalid duration "${text}"`);
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** TokenProviderDeps are the injected services a provider may need. */
export interface TokenProviderDeps {
  /** clock for token expiry; default the system clock. */
  readonly clock?: Clock;
  /** random for simple-token letters; default node:crypto. */
  readonly random?: RandomSource;
  /** readFile reads a key file; default node:fs readFileSync. */
  readonly readFile?: (path: string) => Uint8Array;
  /** simpleTokenTtlMs is `--auth-token-ttl` in milliseconds; default 300 000. */
  readonly simpleTokenTtlMs?: number;
}

/**
 * createTokenProvider builds the provider named by an `--auth-token` value. Throws
 * AuthConfigError for an unknown type, a bad option, an unsupported `sign-method`, missing or
 * mismatched keys; errors reading a key file propagate.
 */
export function createTokenProvider(flag: string, deps: TokenProviderDeps = {}): TokenProvider {
  const spec = parseAuthTokenSpec(flag);
  switch (spec.type) {
    case "simple":
      return new SimpleTokenProvider({
        ...(deps.simpleTokenTtlMs !== undefined ? { ttlMs: deps.simpleTokenTtlMs } : {}),
        ...(deps.clock !== undefined ? { clock: deps.clock } : {}),
        ...(deps.random !== undefined ? { random: deps.random } : {}),
      });
    case "jwt": {
      const read = deps.readFile ?? ((path: string) => readFileSync(path));
      const method = spec.options.get("sign-method") ?? "";
      if (!isJwtSignMethod(method)) throw new AuthConfigError(AuthConfigError.INVALID_METHOD);
      const ttl = spec.options.get("ttl");
      let ttlMs: number | undefined;
      if (ttl !== undefined && ttl !== "") {
        try {
          ttlMs = parseGoDuration(ttl);
        } catch (cause) {
          throw new AuthConfigError(AuthConfigError.INVALID_OPTIONS, { cause });
        }
      }
      const pub = spec.options.get("pub-key");
      const priv = spec.options.get("priv-key");
      return new JwtTokenProvider({
        signMethod: method,
        ...(ttlMs !== undefined ? { ttlMs } : {}),
        ...(pub !== undefined && pub !== "" ? { publicKey: read(pub) } : {}),
        ...(priv !== undefined && priv !== "" ? { privateKey: read(priv) } : {}),
        ...(deps.clock !== undefined ? { clock: deps.clock } : {}),
      });
    }
    default:
      throw new AuthConfigError(AuthConfigError.INVALID_OPTIONS);
  }
}
