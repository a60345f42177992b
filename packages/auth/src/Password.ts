/**
 * Password hashing with bcrypt, compatible both ways with etcd's (Go's
 * golang.org/x/crypto/bcrypt): hashes are the usual `$2a$`/`$2b$<cost>$<salt+hash>` text, stored
 * as bytes in `authpb.User.password`; Go's `$2a$` hashes verify here and ours verify in Go.
 *
 * The implementation is the native `bcrypt` package: its asynchronous calls run in libuv's
 * thread pool, so a login never stalls the main thread (raft ticks, gRPC) for the ~45 ms a
 * cost-10 hash takes; it measured faster than the pure-JS `bcryptjs` too (see the README).
 * Like Go's, it reads at most 72 bytes of password.
 *
 * Hashing is injected into the auth store through {@link PasswordHasher} so tests may use
 * a low cost; salts come from the library's own CSPRNG.
 */
import bcrypt from "bcrypt";

/** DEFAULT_BCRYPT_COST is etcd's default `--bcrypt-cost` (Go's bcrypt.DefaultCost). */
export const DEFAULT_BCRYPT_COST = 10;
/** MIN_BCRYPT_COST is the lowest cost Go's bcrypt accepts. */
export const MIN_BCRYPT_COST = 4;
/** MAX_BCRYPT_COST is the highest cost Go's bcrypt accepts. */
export const MAX_BCRYPT_COST = 31;

/**
 * normalizeBcryptCost returns `cost` when Go's bcrypt would accept it and the default (10)
 * otherwise, as etcd does with an out-of-range `--bcrypt-cost`.
 */
export function normalizeBcryptCost(cost: number): number {
  return Number.isInteger(cost) && cost >= MIN_BCRYPT_COST && cost <= MAX_BCRYPT_COST ? cost : DEFAULT_BCRYPT_COST;
}

/** PasswordHasher hashes and checks passwords. */
export interface PasswordHasher {
  /** hash returns the bcrypt hash text of `password` at `cost`, computed off the main thread. */
  hash(password: string, cost: number): Promise<string>;
  /**
   * hashSync is {@link PasswordHasher.hash} on the calling thread. The auth store uses it only
   * when applying an etcd 3.4 style request that carries a clear-text password.
   */
  hashSync(password: string, cost: number): string;
  /** compare tells whether `password` matches the stored hash; a malformed hash never matches. */
  compare(password: string, hash: string): Promise<boolean>;
}

const BCRYPT_HASH = /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/;

/** bcryptHasher is the {@link PasswordHasher} over the native bcrypt library. */
export const bcryptHasher: PasswordHasher = {
  hash: (password, cost) => bcrypt.hash(password, cost),
  hashSync: (password, cost) => bcrypt.hashSync(password, cost),
  async compare(password, hash) {
    if (!BCRYPT_HASH.test(hash)) return false;
    return bcrypt.compare(password, hash);
  },
};
