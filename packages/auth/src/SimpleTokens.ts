/**
 * Simple tokens, etcd's default `--auth-token simple`: `<16 random letters>.<raft index>`,
 * e.g. `kKiGwWmRvTPLxnfQ.42`. The letters are drawn by the member that proposes the
 * Authenticate request; the index is that of the committed entry, so every member issues the
 * same token when it applies the entry, and any member can resolve it.
 *
 * A token lives `ttl` (300 s by default) after its last use: each successful resolution
 * renews it. Deleting a user or changing its password drops the user's tokens; disabling auth
 * drops them all. Expiry is checked on every resolution against the injected clock, and
 * {@link SimpleTokenProvider.sweepExpired} frees expired entries (the server calls it
 * periodically; etcd sweeps every second).
 *
 * Not done here: etcd makes a member wait, before resolving a token, until it has applied the
 * token's index (a client may present the token to a member that has not applied the
 * Authenticate entry yet). The server does that wait with {@link simpleTokenIndex} before
 * calling `info`. Simple tokens are not signed: anyone who sees one may use it until it expires.
 */
import type { Clock } from "./Clock.js";
import { systemClock } from "./Clock.js";
import type { RandomSource } from "./RandomSource.js";
import { cryptoRandom } from "./RandomSource.js";
import type { AssignParams, AuthInfo, TokenProvider } from "./TokenProvider.js";

/** DEFAULT_SIMPLE_TOKEN_TTL_MS is etcd's default `--auth-token-ttl`: 300 s. */
export const DEFAULT_SIMPLE_TOKEN_TTL_MS = 300_000;

/** SIMPLE_TOKEN_PREFIX_LENGTH is the number of random letters in a simple token. */
export const SIMPLE_TOKEN_PREFIX_LENGTH = 16;

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/**
 * simpleTokenIndex returns the raft index carried by a simple token (the part after the dot),
 * or undefined when the token does not have the simple-token shape.
 */
export function simpleTokenIndex(token: string): number | undefined {
  const dot = token.indexOf(".");
  if (dot < 0 || token.indexOf(".", dot + 1) >= 0) return undefined;
  const digits = token.slice(dot + 1);
  if (!/^[+-]?\d+$/.test(digits)) return undefined;
  const index = Number(digits);
  return Number.isSafeInteger(index) && index >= 0 ? index : undefined;
}

/** SimpleTokenOptions configure a {@link SimpleTokenProvider}. */
export interface SimpleTokenOptions {
  /** ttlMs is how long a token lives after its last use; default 300 000 (non-positive: default). */
  readonly ttlMs?: number;
  /** clock tells the time; default the system clock. */
  readonly clock?: Clock;
  /** random draws the token letters; default node:crypto. */
  readonly random?: RandomSource;
}

interface TokenEntry {
  readonly username: string;
  expiresAt: number;
}

/** SimpleTokenProvider is the {@link TokenProvider} for simple tokens; see the module comment. */
export class SimpleTokenProvider implements TokenProvider {
  /** kind is "simple". */
  readonly kind = "simple" as const;
  /** ttlMs is the token lifetime after last use, in milliseconds. */
  readonly ttlMs: number;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #tokens = new Map<string, TokenEntry>();
  #enabled = false;

  /** Creates a provider; it issues no tokens until {@link SimpleTokenProvider.enable}. */
  constructor(options: SimpleTokenOptions = {}) {
    this.ttlMs = options.ttlMs !== undefined && options.ttlMs > 0 ? options.ttlMs : DEFAULT_SIMPLE_TOKEN_TTL_MS;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? cryptoRandom;
  }

  /** size is the number of live (not yet swept) tokens. */
  get size(): number {
    return this.#tokens.size;
  }

  /** genTokenPrefix draws 16 letters uniformly from [a-zA-Z]. */
  genTokenPrefix(): string {
    let out = "";
    while (out.length < SIMPLE_TOKEN_PREFIX_LENGTH) {
      for (const byte of this.#random(SIMPLE_TOKEN_PREFIX_LENGTH * 2)) {
        // 208 = 4 * 52: rejecting bytes above it keeps the letters uniform.
        if (byte < 208) out += LETTERS[byte % 52];
        if (out.length === SIMPLE_TOKEN_PREFIX_LENGTH) break;
      }
    }
    return out;
  }

  /**
   * assign issues `<prefix>.<index>` for `username`. While auth is disabled the token is
   * returned but not remembered (it never resolves), as in etcd. Assigning a token that is
   * already live is a broken invariant (two entries with one index) and throws.
   */
  assign(username: string, _revision: number, params: AssignParams): string {
    const token = `${params.simpleTokenPrefix}.${params.index}`;
    if (!this.#enabled) return token;
    if (this.#tokens.has(token)) throw new Error(`auth: simple token ${token} is already assigned`);
    this.#tokens.set(token, { username, expiresAt: this.#clock.now() + this.ttlMs });
    return token;
  }

  /** info resolves a live token and renews it; expired tokens are dropped. */
  info(token: string, currentRevision: number): AuthInfo | undefined {
    const entry = this.#tokens.get(token);
    if (entry === undefined) return undefined;
    const now = this.#clock.now();
    if (now > entry.expiresAt) {
      this.#tokens.delete(token);
      return undefined;
    }
    entry.expiresAt = now + this.ttlMs;
    return { username: entry.username, revision: currentRevision };
  }

  /** sweepExpired drops every expired token and returns how many it dropped. */
  sweepExpired(): number {
    const now = this.#clock.now();
    let dropped = 0;
    for (const [token, entry] of this.#tokens) {
      if (now > entry.expiresAt) {
        this.#tokens.delete(token);
        dropped++;
      }
    }
    return dropped;
  }

  /** enable starts remembering issued tokens. */
  enable(): void {
    this.#enabled = true;
  }

  /** disable forgets every token and stops remembering new ones. */
  disable(): void {
    this.#enabled = false;
    this.#tokens.clear();
  }

  /** invalidateUser forgets the user's tokens. */
  invalidateUser(username: string): void {
    for (const [token, entry] of this.#tokens) if (entry.username === username) this.#tokens.delete(token);
  }
}
