/**
 * @etcd-ts/auth — etcd's authentication and authorisation: users, roles, key-range
 * permissions, simple and JWT tokens.
 *
 * - {@link AuthStore}: the state machine (what applying a committed Auth request does) and
 *   the per-request checks (`isRangePermitted`, `isPutPermitted`, `isDeleteRangePermitted`,
 *   `isAdminPermitted`, old auth revision); errors are @etcd-ts/api's, with etcd's messages.
 * - {@link AuthBackend}: the persistence seam the server binds to its storage
 *   ({@link MemoryAuthBackend} for tests).
 * - Tokens: {@link SimpleTokenProvider}, {@link JwtTokenProvider}, {@link createTokenProvider}
 *   for etcd's `--auth-token` flag.
 * - {@link RangePermCache} / {@link KeyRangeSet}: merged per-user key ranges.
 * - Request checks per RPC ({@link checkTxn}, {@link checkPut}, ...).
 *
 * Time and randomness are injected ({@link Clock}, {@link RandomSource}); nothing here starts
 * a timer or touches the network.
 *
 * @packageDocumentation
 */
export { AuthStore, ROOT_USER, ROOT_ROLE } from "./AuthStore.js";
export type { AuthStoreOptions } from "./AuthStore.js";
export type { AuthBackend, AuthSnapshot } from "./AuthBackend.js";
export { MemoryAuthBackend } from "./MemoryAuthBackend.js";
export { KeyRangeSet } from "./KeyRangeSet.js";
export type { KeyInterval } from "./KeyRangeSet.js";
export { RangePermCache, mergePermissions } from "./RangePermCache.js";
export type { PermissionResolver, UserPermissions } from "./RangePermCache.js";
export type { AuthInfo, AssignParams, TokenProvider } from "./TokenProvider.js";
export {
  SimpleTokenProvider,
  simpleTokenIndex,
  DEFAULT_SIMPLE_TOKEN_TTL_MS,
  SIMPLE_TOKEN_PREFIX_LENGTH,
} from "./SimpleTokens.js";
export type { SimpleTokenOptions } from "./SimpleTokens.js";
export { JwtTokenProvider, JWT_SIGN_METHODS, DEFAULT_JWT_TTL_MS, isJwtSignMethod } from "./JwtTokens.js";
export type { JwtKey, JwtSignMethod, JwtTokenOptions } from "./JwtTokens.js";
export { createTokenProvider, parseAuthTokenSpec, parseGoDuration } from "./TokenOptions.js";
export type { AuthTokenSpec, TokenProviderDeps } from "./TokenOptions.js";
export {
  bcryptHasher,
  normalizeBcryptCost,
  DEFAULT_BCRYPT_COST,
  MIN_BCRYPT_COST,
  MAX_BCRYPT_COST,
} from "./Password.js";
export type { PasswordHasher } from "./Password.js";
export { ManualClock, systemClock } from "./Clock.js";
export type { Clock } from "./Clock.js";
export { cryptoRandom } from "./RandomSource.js";
export type { RandomSource } from "./RandomSource.js";
export { NoPasswordUserError, VerifyOnlyError, AuthConfigError } from "./errors.js";
export {
  checkRange,
  checkPut,
  checkDeleteRange,
  checkTxn,
  checkLeaseRevoke,
  checkLeaseTimeToLive,
  checkUserGet,
  checkRoleGet,
  ADMIN_REQUESTS,
} from "./RequestChecks.js";
