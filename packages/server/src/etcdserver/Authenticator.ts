/**
 * Authenticator: what the Auth service (and every other service, to learn who calls) sees of
 * a member's auth — etcd's Authenticator plus AuthInfoFromCtx. Every auth change goes through
 * raft with the caller's auth info (checked when applied); passwords are checked and hashed on
 * the member the client talks to, so the log never carries a clear-text password.
 */
import type { etcdserverpb as pb } from "@etcd-ts/api";
import type { AuthInfo } from "@etcd-ts/auth";
import type { AuthRequestKind, RequestOf, ResponseOf } from "./InternalRequest.js";

/** Authenticator resolves callers and serves the auth requests. */
export interface Authenticator {
  /**
   * authInfo resolves the caller of a request from its metadata (a token, or a client
   * certificate's CN bound to the metadata by the TLS layer): undefined when auth is disabled
   * or no user is named, InvalidAuthTokenError for a bad token. A simple token is known once
   * the raft entry that issued it is applied on this member; this waits for it.
   */
  authInfo(metadata: Readonly<Record<string, string>>): Promise<AuthInfo | undefined>;
  /** authRequest proposes an auth change or query as it came (AuthEnable, UserGet, RoleGrantPermission, ...). */
  authRequest<K extends AuthRequestKind>(kind: K, request: RequestOf<K>, authInfo: AuthInfo | undefined): Promise<ResponseOf<K>>;
  /** authenticate checks a password here and issues a token through raft (see authenticate.ts). */
  authenticate(request: pb.AuthenticateRequest): Promise<pb.AuthenticateResponse>;
  /** userAdd hashes the password here and proposes the user without it. */
  userAdd(request: pb.AuthUserAddRequest, authInfo: AuthInfo | undefined): Promise<pb.AuthUserAddResponse>;
  /** userChangePassword hashes the new password here and proposes the change without it. */
  userChangePassword(request: pb.AuthUserChangePasswordRequest, authInfo: AuthInfo | undefined): Promise<pb.AuthUserChangePasswordResponse>;
  /** authStatus answers from this member's view, without raft (etcd 3.5). */
  authStatus(): pb.AuthStatusResponse;
}
