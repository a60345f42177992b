/**
 * RangePermCache: per user, the union of the key ranges the user may read and may write,
 * merged over all of the user's roles — etcd's `rangePermCache`.
 *
 * Entries are built on first use from a resolver (the auth store's current users and roles)
 * and dropped all at once by {@link RangePermCache.invalidate}, which the auth store calls on
 * every change to users, roles or permissions. Checks are then one map lookup and one binary
 * search over the merged intervals.
 *
 * It does not know about the root role, auth being enabled, or auth revisions: the auth
 * store decides those before asking here.
 */
import { authpb } from "@etcd-ts/api";
import { KeyRangeSet } from "./KeyRangeSet.js";
import type { KeyInterval } from "./KeyRangeSet.js";

/** UserPermissions is one user's merged permissions. */
export interface UserPermissions {
  /** read is the union of the user's READ and READWRITE ranges. */
  readonly read: KeyRangeSet;
  /** write is the union of the user's WRITE and READWRITE ranges. */
  readonly write: KeyRangeSet;
  /** isRoot is true when the user holds the `root` role (which may do everything). */
  readonly isRoot: boolean;
}

/**
 * PermissionResolver returns the names of a user's roles and looks up roles; it returns
 * undefined for a user that does not exist. Roles that no longer exist are skipped.
 */
export interface PermissionResolver {
  /** userRoles returns the user's role names, or undefined when there is no such user. */
  userRoles(username: string): readonly string[] | undefined;
  /** rolePermissions returns the role's permissions, or undefined when there is no such role. */
  rolePermissions(roleName: string): readonly authpb.Permission[] | undefined;
}

/** mergePermissions merges permission lists into read and write key-range sets. */
export function mergePermissions(perms: Iterable<authpb.Permission>): { read: KeyRangeSet; write: KeyRangeSet } {
  const read: KeyInterval[] = [];
  const write: KeyInterval[] = [];
  for (const perm of perms) {
    if (perm.permType === authpb.Permission_Type.READ || perm.permType === authpb.Permission_Type.READWRITE) read.push(perm);
    if (perm.permType === authpb.Permission_Type.WRITE || perm.permType === authpb.Permission_Type.READWRITE) write.push(perm);
  }
  return { read: KeyRangeSet.from(read), write: KeyRangeSet.from(write) };
}

/** RangePermCache caches {@link UserPermissions} per user name; see the module comment. */
export class RangePermCache {
  readonly #resolver: PermissionResolver;
  readonly #byUser = new Map<string, UserPermissions | null>();

  /** Creates an empty cache that builds entries from `resolver`. */
  constructor(resolver: PermissionResolver) {
    this.#resolver = resolver;
  }

  /** invalidate drops every entry; call it after any change to users, roles or permissions. */
  invalidate(): void {
    this.#byUser.clear();
  }

  /** get returns the user's merged permissions (building them if needed), or undefined for an unknown user. */
  get(username: string): UserPermissions | undefined {
    let entry = this.#byUser.get(username);
    if (entry === undefined) {
      entry = this.#build(username);
      this.#byUser.set(username, entry);
    }
    return entry ?? undefined;
  }

  /**
   * isPermitted tells whether the user's roles grant `kind` (READ or WRITE; READWRITE asks for
   * both) over the request range `[key, rangeEnd)` (see {@link KeyRangeSet.covers}). An
   * unknown user has no permissions. The root role is not considered here.
   */
  isPermitted(username: string, key: Uint8Array, rangeEnd: Uint8Array, kind: authpb.Permission_Type): boolean {
    const perms = this.get(username);
    if (perms === undefined) return false;
    switch (kind) {
      case authpb.Permission_Type.READ:
        return perms.read.covers(key, rangeEnd);
      case authpb.Permission_Type.WRITE:
        return perms.write.covers(key, rangeEnd);
      default:
        return perms.read.covers(key, rangeEnd) && perms.write.covers(key, rangeEnd);
    }
  }

  #build(username: string): UserPermissions | null {
    const roles = this.#resolver.userRoles(username);
    if (roles === undefined) return null;
    const all: authpb.Permission[] = [];
    for (const roleName of roles) {
      const perms = this.#resolver.rolePermissions(roleName);
      if (perms !== undefined) all.push(...perms);
    }
    return { ...mergePermissions(all), isRoot: roles.includes("root") };
  }
}
