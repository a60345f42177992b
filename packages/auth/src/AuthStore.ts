/**
 * AuthStore: etcd's auth state machine and the permission checks the server runs per request.
 *
 * Two sides:
 *  - Apply side (every member, in log order): the methods named after the Auth RPCs
 *    (`userAdd`, `roleGrantPermission`, `authEnable`, `authenticate`, ...) apply one
 *    committed request. They are synchronous, validate everything before changing anything,
 *    write through to the {@link AuthBackend} (inside the caller's write transaction), and
 *    throw etcd's error (an @etcd-ts/api `EtcdError`) when the request fails. Every change
 *    bumps the auth revision and invalidates the permission cache.
 *  - Request side (the member serving a client): `checkPassword` (bcrypt, asynchronous, off
 *    the main thread), `hashPassword` (so proposals carry a hash, never a clear password),
 *    `genTokenPrefix`, `authInfoFromToken`, and the checks `isRangePermitted`,
 *    `isPutPermitted`, `isDeleteRangePermitted`, `isAdminPermitted`, which throw etcd's error
 *    when the request may not go ahead.
 *
 * The whole state is held in memory (users and roles are few and small); the backend is only
 * written, and read on open and {@link AuthStore.recover}. Deliberate differences from etcd
 * 3.4 are listed in the package README.
 */
import {
  AuthFailedError,
  AuthNotEnabledError,
  AuthOldRevisionError,
  InvalidAuthMgmtError,
  InvalidAuthTokenError,
  PermissionDeniedError,
  PermissionNotGivenError,
  PermissionNotGrantedError,
  RoleAlreadyExistError,
  RoleEmptyError,
  RoleNotFoundError,
  RoleNotGrantedError,
  RootRoleNotExistError,
  RootUserNotExistError,
  UserAlreadyExistError,
  UserEmptyError,
  UserNotFoundError,
  authpb,
} from "@etcd-ts/api";
import type { ErrorClass, etcdserverpb } from "@etcd-ts/api";
import type { AuthBackend } from "./AuthBackend.js";
import { NoPasswordUserError } from "./errors.js";
import { compareBytes, equalBytes, fromUtf8, utf8 } from "./internal/bytes.js";
import { bcryptHasher, normalizeBcryptCost, DEFAULT_BCRYPT_COST } from "./Password.js";
import type { PasswordHasher } from "./Password.js";
import { RangePermCache } from "./RangePermCache.js";
import type { AssignParams, AuthInfo, TokenProvider } from "./TokenProvider.js";

/** ROOT_USER is the name of the user that must exist, with the root role, to enable auth. */
export const ROOT_USER = "root";
/** ROOT_ROLE is the role that may do everything, including administering auth. */
export const ROOT_ROLE = "root";

const EMPTY = new Uint8Array(0);

/** AuthStoreOptions configure an {@link AuthStore}. */
export interface AuthStoreOptions {
  /** backend persists the state; see {@link AuthBackend}. */
  readonly backend: AuthBackend;
  /** tokenProvider issues and resolves tokens (simple or JWT). */
  readonly tokenProvider: TokenProvider;
  /** passwordHasher hashes and checks passwords; default bcrypt. */
  readonly passwordHasher?: PasswordHasher;
  /** bcryptCost is `--bcrypt-cost`; out-of-range values fall back to 10, as in etcd. */
  readonly bcryptCost?: number;
}

/** AuthStore is etcd's auth store; see the module comment. */
export class AuthStore {
  readonly #backend: AuthBackend;
  readonly #tokens: TokenProvider;
  readonly #hasher: PasswordHasher;
  /** bcryptCost is the cost new password hashes are made with. */
  readonly bcryptCost: number;
  #users = new Map<string, authpb.User>();
  #roles = new Map<string, authpb.Role>();
  #enabled = false;
  #revision = 0;
  readonly #cache: RangePermCache;

  /**
   * Opens the store over `backend`. A fresh backend (revision 0) is given revision 1, as
   * etcd does, which is the only write made outside an apply call.
   */
  constructor(options: AuthStoreOptions) {
    this.#backend = options.backend;
    this.#tokens = options.tokenProvider;
    this.#hasher = options.passwordHasher ?? bcryptHasher;
    this.bcryptCost = normalizeBcryptCost(options.bcryptCost ?? DEFAULT_BCRYPT_COST);
    this.#cache = new RangePermCache({
      userRoles: (name) => this.#users.get(name)?.roles,
      rolePermissions: (name) => this.#roles.get(name)?.keyPermission,
    });
    this.recover();
    if (this.#revision === 0) {
      this.#revision = 1;
      this.#backend.setRevision(1);
    }
  }

  /**
   * recover reloads the whole state from the backend (on open, and after a snapshot replaced
   * the backend's contents), re-arming or disarming the token provider to match.
   */
  recover(): void {
    const snapshot = this.#backend.load();
    this.#users = new Map(snapshot.users.map((u) => [fromUtf8(u.name), u]));
    this.#roles = new Map(snapshot.roles.map((r) => [fromUtf8(r.name), r]));
    this.#revision = snapshot.revision;
    this.#cache.invalidate();
    if (snapshot.enabled && !this.#enabled) this.#tokens.enable();
    if (!snapshot.enabled && this.#enabled) this.#tokens.disable();
    this.#enabled = snapshot.enabled;
  }

  /** revision is the auth revision: it grows by one with every change to users, roles, permissions or the disabling of auth. */
  get revision(): number {
    return this.#revision;
  }

  /** tokenProvider is the provider the store issues tokens with. */
  get tokenProvider(): TokenProvider {
    return this.#tokens;
  }

  /** isAuthEnabled tells whether auth is enabled. */
  isAuthEnabled(): boolean {
    return this.#enabled;
  }

  /** close disarms the token provider (simple tokens are dropped). */
  close(): void {
    if (this.#enabled) this.#tokens.disable();
  }

  // -------------------------------------------------------------------------------------
  // Apply side
  // -------------------------------------------------------------------------------------

  /**
   * authEnable applies AuthEnable: requires user `root` holding role `root`
   * (RootUserNotExistError, RootRoleNotExistError). Enabling an enabled store does nothing.
   * Like etcd, it does not change the auth revision.
   */
  authEnable(): etcdserverpb.AuthEnableResponse {
    if (this.#enabled) return {};
    const root = this.#users.get(ROOT_USER);
    if (root === undefined) throw new RootUserNotExistError();
    if (!root.roles.includes(ROOT_ROLE)) throw new RootRoleNotExistError();
    this.#backend.setEnabled(true);
    this.#enabled = true;
    this.#tokens.enable();
    this.#cache.invalidate();
    return {};
  }

  /** authDisable applies AuthDisable: drops every simple token and bumps the revision. Disabling a disabled store does nothing. */
  authDisable(): etcdserverpb.AuthDisableResponse {
    if (!this.#enabled) return {};
    this.#backend.setEnabled(false);
    this.#commit();
    this.#enabled = false;
    this.#tokens.disable();
    return {};
  }

  /** authStatus answers AuthStatus (etcd 3.5): whether auth is enabled and the auth revision. */
  authStatus(): etcdserverpb.AuthStatusResponse {
    return { enabled: this.#enabled, authRevision: this.#revision };
  }

  /**
   * authenticate applies a committed Authenticate request (etcd's InternalAuthenticateRequest):
   * the password was checked by {@link AuthStore.checkPassword} before proposing, so only the
   * user's existence is checked again here. Issues the token from the entry's index and the
   * proposer's prefix. Errors: AuthNotEnabledError, AuthFailedError.
   */
  authenticate(name: string, params: AssignParams): etcdserverpb.AuthenticateResponse {
    if (!this.#enabled) throw new AuthNotEnabledError();
    const user = this.#users.get(name);
    if (user === undefined || user.options?.noPassword === true) throw new AuthFailedError();
    return { token: this.#tokens.assign(name, this.#revision, params) };
  }

  /**
   * userAdd applies UserAdd. The password is taken from `hashedPassword` (base64 of a bcrypt
   * hash, as etcd 3.5 proposes it) or, when only `password` is set (an etcd 3.4 request), hashed
   * here. Errors: UserEmptyError, UserAlreadyExistError.
   */
  userAdd(r: etcdserverpb.AuthUserAddRequest): etcdserverpb.AuthUserAddResponse {
    if (r.name === "") throw new UserEmptyError();
    if (this.#users.has(r.name)) throw new UserAlreadyExistError();
    const noPassword = r.options?.noPassword === true;
    const password = noPassword ? EMPTY : this.#selectPassword(r.password, r.hashedPassword);
    const user = authpb.User.create({ name: utf8(r.name), password, roles: [], options: { noPassword } });
    this.#putUser(r.name, user);
    this.#commit();
    return {};
  }

  /**
   * userDelete applies UserDelete and drops the user's simple tokens. Errors:
   * InvalidAuthMgmtError (deleting `root` while auth is enabled), UserNotFoundError.
   */
  userDelete(r: etcdserverpb.AuthUserDeleteRequest): etcdserverpb.AuthUserDeleteResponse {
    if (this.#enabled && r.name === ROOT_USER) throw new InvalidAuthMgmtError();
    if (!this.#users.has(r.name)) throw new UserNotFoundError();
    this.#users.delete(r.name);
    this.#backend.deleteUser(r.name);
    this.#commit();
    this.#tokens.invalidateUser(r.name);
    return {};
  }

  /**
   * userChangePassword applies UserChangePassword (password as in {@link AuthStore.userAdd})
   * and drops the user's simple tokens. Errors: UserNotFoundError.
   */
  userChangePassword(r: etcdserverpb.AuthUserChangePasswordRequest): etcdserverpb.AuthUserChangePasswordResponse {
    const user = this.#users.get(r.name);
    if (user === undefined) throw new UserNotFoundError();
    const password = this.#selectPassword(r.password, r.hashedPassword);
    this.#putUser(r.name, { ...user, password });
    this.#commit();
    this.#tokens.invalidateUser(r.name);
    return {};
  }

  /**
   * userGrantRole applies UserGrantRole. The role must exist, except `root`, which may be
   * granted before it is created. Granting a role the user has changes nothing (no revision
   * bump). Errors: UserNotFoundError, RoleNotFoundError.
   */
  userGrantRole(r: etcdserverpb.AuthUserGrantRoleRequest): etcdserverpb.AuthUserGrantRoleResponse {
    const user = this.#users.get(r.user);
    if (user === undefined) throw new UserNotFoundError();
    if (r.role !== ROOT_ROLE && !this.#roles.has(r.role)) throw new RoleNotFoundError();
    if (user.roles.includes(r.role)) return {};
    const roles = [...user.roles, r.role].sort(compareStrings);
    this.#putUser(r.user, { ...user, roles });
    this.#commit();
    return {};
  }

  /** userGet answers UserGet: the user's role names, sorted. Errors: UserNotFoundError. */
  userGet(r: etcdserverpb.AuthUserGetRequest): etcdserverpb.AuthUserGetResponse {
    const user = this.#users.get(r.name);
    if (user === undefined) throw new UserNotFoundError();
    return { roles: [...user.roles] };
  }

  /** userList answers UserList: every user name, in byte order. */
  userList(_r: etcdserverpb.AuthUserListRequest = {}): etcdserverpb.AuthUserListResponse {
    return { users: [...this.#users.keys()].sort(compareStrings) };
  }

  /**
   * userRevokeRole applies UserRevokeRole. Errors: InvalidAuthMgmtError (root's root role
   * while auth is enabled), UserNotFoundError, RoleNotGrantedError.
   */
  userRevokeRole(r: etcdserverpb.AuthUserRevokeRoleRequest): etcdserverpb.AuthUserRevokeRoleResponse {
    if (this.#enabled && r.name === ROOT_USER && r.role === ROOT_ROLE) throw new InvalidAuthMgmtError();
    const user = this.#users.get(r.name);
    if (user === undefined) throw new UserNotFoundError();
    const roles = user.roles.filter((role) => role !== r.role);
    if (roles.length === user.roles.length) throw new RoleNotGrantedError();
    this.#putUser(r.name, { ...user, roles });
    this.#commit();
    return {};
  }

  /** roleAdd applies RoleAdd. Errors: RoleEmptyError, RoleAlreadyExistError. */
  roleAdd(r: etcdserverpb.AuthRoleAddRequest): etcdserverpb.AuthRoleAddResponse {
    if (r.name === "") throw new RoleEmptyError();
    if (this.#roles.has(r.name)) throw new RoleAlreadyExistError();
    this.#putRole(r.name, authpb.Role.create({ name: utf8(r.name), keyPermission: [] }));
    this.#commit();
    return {};
  }

  /** roleGet answers RoleGet: the role's permissions, in key order. Errors: RoleNotFoundError. */
  roleGet(r: etcdserverpb.AuthRoleGetRequest): etcdserverpb.AuthRoleGetResponse {
    const role = this.#roles.get(r.role);
    if (role === undefined) throw new RoleNotFoundError();
    return { perm: [...role.keyPermission] };
  }

  /** roleList answers RoleList: every role name, in byte order. */
  roleList(_r: etcdserverpb.AuthRoleListRequest = {}): etcdserverpb.AuthRoleListResponse {
    return { roles: [...this.#roles.keys()].sort(compareStrings) };
  }

  /**
   * roleGrantPermission applies RoleGrantPermission: a permission on the same key and range
   * end as an existing one replaces its type; otherwise it is added, keeping the list in key
   * order. Errors: RoleNotFoundError, PermissionNotGivenError (no `perm`).
   */
  roleGrantPermission(r: etcdserverpb.AuthRoleGrantPermissionRequest): etcdserverpb.AuthRoleGrantPermissionResponse {
    const role = this.#roles.get(r.name);
    if (role === undefined) throw new RoleNotFoundError();
    const perm = r.perm;
    if (perm === undefined) throw new PermissionNotGivenError();
    const granted = authpb.Permission.create({ permType: perm.permType, key: perm.key, rangeEnd: perm.rangeEnd });
    const perms = [...role.keyPermission];
    const same = perms.findIndex((p) => equalBytes(p.key, perm.key) && equalBytes(p.rangeEnd, perm.rangeEnd));
    if (same >= 0) {
      perms[same] = granted;
    } else {
      let at = perms.length;
      while (at > 0 && compareBytes((perms[at - 1] as authpb.Permission).key, perm.key) > 0) at--;
      perms.splice(at, 0, granted);
    }
    this.#putRole(r.name, { ...role, keyPermission: perms });
    this.#commit();
    return {};
  }

  /**
   * roleRevokePermission applies RoleRevokePermission: removes the permission(s) with exactly
   * this key and range end. Errors: RoleNotFoundError, PermissionNotGrantedError.
   */
  roleRevokePermission(r: etcdserverpb.AuthRoleRevokePermissionRequest): etcdserverpb.AuthRoleRevokePermissionResponse {
    const role = this.#roles.get(r.role);
    if (role === undefined) throw new RoleNotFoundError();
    const perms = role.keyPermission.filter((p) => !(equalBytes(p.key, r.key) && equalBytes(p.rangeEnd, r.rangeEnd)));
    if (perms.length === role.keyPermission.length) throw new PermissionNotGrantedError();
    this.#putRole(r.role, { ...role, keyPermission: perms });
    this.#commit();
    return {};
  }

  /**
   * roleDelete applies RoleDelete and revokes the role from every user holding it. Errors:
   * InvalidAuthMgmtError (`root` while auth is enabled), RoleNotFoundError.
   */
  roleDelete(r: etcdserverpb.AuthRoleDeleteRequest): etcdserverpb.AuthRoleDeleteResponse {
    if (this.#enabled && r.role === ROOT_ROLE) throw new InvalidAuthMgmtError();
    if (!this.#roles.has(r.role)) throw new RoleNotFoundError();
    this.#roles.delete(r.role);
    this.#backend.deleteRole(r.role);
    for (const [name, user] of [...this.#users]) {
      if (user.roles.includes(r.role)) this.#putUser(name, { ...user, roles: user.roles.filter((role) => role !== r.role) });
    }
    this.#commit();
    return {};
  }

  // -------------------------------------------------------------------------------------
  // Request side
  // -------------------------------------------------------------------------------------

  /**
   * checkPassword checks a user's password before an Authenticate request is proposed and
   * returns the auth revision it checked against; the server retries the whole
   * authentication if the revision moved before the request applied (as etcd does).
   * Errors: AuthNotEnabledError, AuthFailedError (unknown user or wrong password),
   * NoPasswordUserError.
   */
  async checkPassword(name: string, password: string): Promise<number> {
    if (!this.#enabled) throw new AuthNotEnabledError();
    const user = this.#users.get(name);
    if (user === undefined) throw new AuthFailedError();
    if (user.options?.noPassword === true) throw new NoPasswordUserError();
    const revision = this.#revision;
    if (!(await this.#hasher.compare(password, fromUtf8(user.password)))) throw new AuthFailedError();
    return revision;
  }

  /**
   * hashPassword hashes a password at the store's bcrypt cost, off the main thread, and
   * returns it base64-encoded for the `hashedPassword` field of UserAdd /
   * UserChangePassword proposals (so the log never carries clear passwords and applying never
   * runs bcrypt).
   */
  async hashPassword(password: string): Promise<string> {
    return Buffer.from(await this.#hasher.hash(password, this.bcryptCost)).toString("base64");
  }

  /** genTokenPrefix returns a fresh simple-token prefix to put in an Authenticate proposal ("" for JWT). */
  genTokenPrefix(): string {
    return this.#tokens.genTokenPrefix();
  }

  /**
   * authInfoFromToken resolves a request's token (simple tokens are renewed). Errors:
   * InvalidAuthTokenError when the token is unknown, expired, malformed or badly signed.
   */
  authInfoFromToken(token: string): AuthInfo {
    const info = this.#tokens.info(token, this.#revision);
    if (info === undefined) throw new InvalidAuthTokenError();
    return info;
  }

  /** hasRole tells whether the user exists and holds the role. */
  hasRole(username: string, role: string): boolean {
    return this.#users.get(username)?.roles.includes(role) === true;
  }

  /**
   * isOpPermitted is the permission check behind the three below. Nothing is checked while
   * auth is disabled. Otherwise, in order: no credentials (`authInfo` missing or revision 0)
   * → UserEmptyError; a revision older than the store's → AuthOldRevisionError; an unknown
   * user → PermissionDeniedError; a root-role user passes; else the user's merged ranges for
   * `kind` must cover the request range (see {@link KeyRangeSet.covers}) or
   * PermissionDeniedError is thrown.
   */
  isOpPermitted(authInfo: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array, kind: authpb.Permission_Type): void {
    const fault = this.opPermissionFault(authInfo, key, rangeEnd, kind);
    if (fault !== undefined) throw new fault();
  }

  /**
   * opPermissionFault is {@link AuthStore.isOpPermitted} without throwing: it returns the class
   * of the error the check would throw, or undefined when the request is permitted. It
   * allocates nothing, so a server may check many operations and build the error only once
   * (constructing an Error costs microseconds, for its stack trace).
   */
  opPermissionFault(authInfo: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array, kind: authpb.Permission_Type): ErrorClass | undefined {
    if (!this.#enabled) return undefined;
    if (authInfo === undefined || authInfo.revision === 0) return UserEmptyError;
    if (authInfo.revision < this.#revision) return AuthOldRevisionError;
    const perms = this.#cache.get(authInfo.username);
    if (perms === undefined) return PermissionDeniedError;
    if (perms.isRoot) return undefined;
    return this.#cache.isPermitted(authInfo.username, key, rangeEnd, kind) ? undefined : PermissionDeniedError;
  }

  /** isRangePermitted checks READ on `[key, rangeEnd)` (Range, Txn compares, prev_kv, Watch). */
  isRangePermitted(authInfo: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array = EMPTY): void {
    this.isOpPermitted(authInfo, key, rangeEnd, authpb.Permission_Type.READ);
  }

  /** isPutPermitted checks WRITE on the single key (Put, keys of a lease being revoked or attached). */
  isPutPermitted(authInfo: AuthInfo | undefined, key: Uint8Array): void {
    this.isOpPermitted(authInfo, key, EMPTY, authpb.Permission_Type.WRITE);
  }

  /** isDeleteRangePermitted checks WRITE on `[key, rangeEnd)` (DeleteRange). */
  isDeleteRangePermitted(authInfo: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array = EMPTY): void {
    this.isOpPermitted(authInfo, key, rangeEnd, authpb.Permission_Type.WRITE);
  }

  /**
   * isAdminPermitted checks that the caller may administer auth and the cluster (only users
   * with the root role may). Nothing is checked while auth is disabled. Errors: UserEmptyError
   * (no credentials), UserNotFoundError, PermissionDeniedError.
   */
  isAdminPermitted(authInfo: AuthInfo | undefined): void {
    if (!this.#enabled) return;
    if (authInfo === undefined || authInfo.username === "") throw new UserEmptyError();
    const user = this.#users.get(authInfo.username);
    if (user === undefined) throw new UserNotFoundError();
    if (!user.roles.includes(ROOT_ROLE)) throw new PermissionDeniedError();
  }

  // -------------------------------------------------------------------------------------

  #selectPassword(password: string, hashedPassword: string): Uint8Array {
    if (password !== "" && hashedPassword === "") return utf8(this.#hasher.hashSync(password, this.bcryptCost));
    return new Uint8Array(Buffer.from(hashedPassword, "base64"));
  }

  #putUser(name: string, user: authpb.User): void {
    this.#users.set(name, user);
    this.#backend.putUser(user);
  }

  #putRole(name: string, role: authpb.Role): void {
    this.#roles.set(name, role);
    this.#backend.putRole(role);
  }

  #commit(): void {
    this.#revision++;
    this.#backend.setRevision(this.#revision);
    this.#cache.invalidate();
  }
}

function compareStrings(a: string, b: string): number {
  return compareBytes(utf8(a), utf8(b));
}
