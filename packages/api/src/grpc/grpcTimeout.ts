/**
 * The `grpc-timeout` header: how long the caller will wait, as at most 8 ASCII digits and a
 * unit — `H` hours, `M` minutes, `S` seconds, `m` milliseconds, `u` microseconds, `n`
 * nanoseconds (PROTOCOL-HTTP2.md, "Timeout").
 *
 * Parsing is exact and strict (grpc-go resets a stream whose header does not parse, and so
 * does our server); formatting rounds up, so the receiver never gives up before the sender.
 */

/** GRPC_TIMEOUT_MAX_DIGITS is the most digits a `grpc-timeout` value may have. */
export const GRPC_TIMEOUT_MAX_DIGITS = 8;

/** Milliseconds per unit. */
const UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };

const TIMEOUT = /^(\d{1,8})([HMSmun])$/;

/**
 * parseGrpcTimeout reads a `grpc-timeout` value into milliseconds (possibly fractional, for
 * `u` and `n`); undefined when it is not 1 to 8 digits followed by one of `HMSmun`.
 */
export function parseGrpcTimeout(value: string): number | undefined {
  const match = TIMEOUT.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/**
 * formatGrpcTimeout writes a remaining time (ms) as a `grpc-timeout` value: whole
 * milliseconds, rounded up and at least 1, while they fit in 8 digits; then whole seconds;
 * then whole hours, at most 99999999H (about 11,400 years), which stands for "longer".
 */
export function formatGrpcTimeout(remainingMs: number): string {
  const ms = Math.max(1, Math.ceil(remainingMs));
  if (ms < 100_000_000) return `${ms}m`;
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 100_000_000) return `${seconds}S`;
  return `${Math.min(99_999_999, Math.ceil(seconds / 3600))}H`;
}
