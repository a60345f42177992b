/**
 * Authenticator: how the RPC layer learns who calls — etcd's AuthInfoFromCtx. The member
 * resolves a caller from its gRPC metadata (a token, or a client certificate's CN bound to
 * the metadata by the TLS layer); the checks themselves run where the request is served.
 */
import type { AuthInfo } from "@etcd-ts/auth";

/** Authenticator resolves callers. */
export interface Authenticator {
  /**
   * authInfo resolves the caller of a request from its metadata: undefined when auth is
   * disabled or no user is named, InvalidAuthTokenError for a bad token. A simple token is
   * known once the raft entry that issued it is applied on this member; this waits for it.
   */
  authInfo(metadata: Readonly<Record<string, string>>): Promise<AuthInfo | undefined>;
}
