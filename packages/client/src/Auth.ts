/**
 * Auth: enabling authentication and managing users, roles and permissions
 * (etcd's `etcdserverpb.Auth`).
 *
 * Logging in is not done here: give `username` / `password` to the client, which fetches a
 * token before its first call and fetches a new one whenever the server answers "invalid auth
 * token" (token expired, or issued by a restarted member), then re-sends the refused call.
 * `authenticate()` is exposed for checking credentials explicitly.
 *
 * Answers are etcd's messages as they are. Reads (`status`, `userGet`, lists) are retried on
 * another endpoint; changes are writes and never re-sent once sent.
 */
import { authpb, etcdserverpb as pb } from "@etcd-ts/api";
import type { CallOptions, Transport } from "./internal/Transport.js";
import type { Bytes } from "./keys.js";
import type { KeySpace, RangeSpec } from "./internal/KeySpace.js";

/** PermissionType is what a role's permission allows on its range. */
export type PermissionType = "read" | "write" | "readwrite";

const PERMISSION_TYPES: Record<PermissionType, authpb.Permission_Type> = {
  read: authpb.Permission_Type.READ,
  write: authpb.Permission_Type.WRITE,
  readwrite: authpb.Permission_Type.READWRITE,
};

const { AuthService } = pb;

/** Auth is the authentication administration API. */
export class Auth {
  /** @internal Created by the client. */
  constructor(
    private readonly transport: Transport,
    private readonly space: KeySpace,
  ) {}

  /** authenticate checks credentials and returns the token the server issued for them. */
  async authenticate(name: string, password: string, options?: CallOptions): Promise<string> {
    const res = await this.transport.unary(AuthService.authenticate, { name, password }, { idempotent: true, noAuth: true }, options);
    return res.token;
  }

  /** enable turns authentication on (the root user, with the root role, must exist). */
  enable(options?: CallOptions): Promise<pb.AuthEnableResponse> {
    return this.transport.unary(AuthService.authEnable, {}, { idempotent: false }, options);
  }

  /** disable turns authentication off (root only). */
  disable(options?: CallOptions): Promise<pb.AuthDisableResponse> {
    return this.transport.unary(AuthService.authDisable, {}, { idempotent: false }, options);
  }

  /** status reports whether authentication is on, and the auth revision (etcd >= 3.5). */
  status(options?: CallOptions): Promise<pb.AuthStatusResponse> {
    return this.transport.unary(AuthService.authStatus, {}, { idempotent: true }, options);
  }

  /** userAdd creates a user (with `noPassword`, one that can only use TLS common names). */
  userAdd(name: string, password: string, options?: CallOptions & { readonly noPassword?: boolean | undefined }): Promise<pb.AuthUserAddResponse> {
    return this.transport.unary(AuthService.userAdd, { name, password, options: { noPassword: options?.noPassword ?? false } }, { idempotent: false }, options);
  }

  /** userGet lists a user's roles. */
  userGet(name: string, options?: CallOptions): Promise<pb.AuthUserGetResponse> {
    return this.transport.unary(AuthService.userGet, { name }, { idempotent: true }, options);
  }

  /** userList lists every user. */
  userList(options?: CallOptions): Promise<pb.AuthUserListResponse> {
    return this.transport.unary(AuthService.userList, {}, { idempotent: true }, options);
  }

  /** userDelete deletes a user. */
  userDelete(name: string, options?: CallOptions): Promise<pb.AuthUserDeleteResponse> {
    return this.transport.unary(AuthService.userDelete, { name }, { idempotent: false }, options);
  }

  /** userChangePassword sets a user's password. */
  userChangePassword(name: string, password: string, options?: CallOptions): Promise<pb.AuthUserChangePasswordResponse> {
    return this.transport.unary(AuthService.userChangePassword, { name, password }, { idempotent: false }, options);
  }

  /** userGrantRole grants a role to a user. */
  userGrantRole(user: string, role: string, options?: CallOptions): Promise<pb.AuthUserGrantRoleResponse> {
    return this.transport.unary(AuthService.userGrantRole, { user, role }, { idempotent: false }, options);
  }

  /** userRevokeRole revokes a role from a user. */
  userRevokeRole(name: string, role: string, options?: CallOptions): Promise<pb.AuthUserRevokeRoleResponse> {
    return this.transport.unary(AuthService.userRevokeRole, { name, role }, { idempotent: false }, options);
  }

  /** roleAdd creates a role. */
  roleAdd(name: string, options?: CallOptions): Promise<pb.AuthRoleAddResponse> {
    return this.transport.unary(AuthService.roleAdd, { name }, { idempotent: false }, options);
  }

  /** roleGet lists a role's permissions. */
  roleGet(role: string, options?: CallOptions): Promise<pb.AuthRoleGetResponse> {
    return this.transport.unary(AuthService.roleGet, { role }, { idempotent: true }, options);
  }

  /** roleList lists every role. */
  roleList(options?: CallOptions): Promise<pb.AuthRoleListResponse> {
    return this.transport.unary(AuthService.roleList, {}, { idempotent: true }, options);
  }

  /** roleDelete deletes a role. */
  roleDelete(role: string, options?: CallOptions): Promise<pb.AuthRoleDeleteResponse> {
    return this.transport.unary(AuthService.roleDelete, { role }, { idempotent: false }, options);
  }

  /**
   * roleGrantPermission lets a role read and/or write a key, or a range with range options
   * (keys are in this view's namespace).
   */
  roleGrantPermission(role: string, type: PermissionType, key: Bytes, options?: CallOptions & RangeSpec): Promise<pb.AuthRoleGrantPermissionResponse> {
    const range = this.space.range(key, options);
    return this.transport.unary(AuthService.roleGrantPermission, { name: role, perm: { permType: PERMISSION_TYPES[type], ...range } }, { idempotent: false }, options);
  }

  /** roleRevokePermission removes a role's permission on a key or range. */
  roleRevokePermission(role: string, key: Bytes, options?: CallOptions & RangeSpec): Promise<pb.AuthRoleRevokePermissionResponse> {
    const range = this.space.range(key, options);
    return this.transport.unary(AuthService.roleRevokePermission, { role, ...range }, { idempotent: false }, options);
  }
}
