/**
 * TokenProvider: the interface both token kinds (simple, JWT) implement, and AuthInfo, what a
 * token resolves to. The auth store holds one provider, chosen by etcd's `--auth-token` flag
 * (see {@link createTokenProvider}).
 */

/** AuthInfo identifies the caller of a request: who, and at which auth revision. */
export interface AuthInfo {
  /** username is the authenticated user ("" when none). */
  readonly username: string;
  /**
   * revision is the auth revision the request is checked against: for JWT the revision at
   * which the token was issued, for simple tokens the store's revision when the token was
   * resolved. The server copies it into the raft request header (`auth_revision`), and a
   * request whose revision is older than the store's at apply time fails with
   * AuthOldRevisionError. 0 means "no credentials".
   */
  readonly revision: number;
}

/** AssignParams are the facts of the committed Authenticate entry a simple token is built from. */
export interface AssignParams {
  /** index is the raft index of the applied Authenticate entry. */
  readonly index: number;
  /** simpleTokenPrefix is the random prefix the proposer generated (`genTokenPrefix`). */
  readonly simpleTokenPrefix: string;
}

/** TokenProvider issues and resolves tokens. */
export interface TokenProvider {
  /** kind is "simple" or "jwt". */
  readonly kind: "simple" | "jwt";
  /**
   * info resolves a token to its AuthInfo, or undefined when the token is unknown, expired,
   * malformed or badly signed. `currentRevision` is the store's auth revision.
   */
  info(token: string, currentRevision: number): AuthInfo | undefined;
  /** assign issues a token for `username` at auth revision `revision`. */
  assign(username: string, revision: number, params: AssignParams): string;
  /** enable is called when auth is enabled (or found enabled on open). */
  enable(): void;
  /** disable is called when auth is disabled; simple tokens are all dropped. */
  disable(): void;
  /** invalidateUser drops the user's tokens (simple tokens; JWTs cannot be recalled). */
  invalidateUser(username: string): void;
  /** genTokenPrefix returns a fresh random prefix for a simple token, "" for JWT. */
  genTokenPrefix(): string;
}
