/**
 * authenticate: etcd's Authenticate as the member serving the client runs it (v3_server.go).
 *
 * The password is checked here, outside raft (bcrypt is slow and the log must not carry
 * passwords), against the auth state at some auth revision; the token is issued later, when
 * the Authenticate entry applies. If any auth change applied in between (a password change,
 * the user deleted...), the check vouches for a state that no longer exists, so the token just
 * issued is thrown away and the whole login runs again, until a check is still current when its
 * entry has applied. A login racing a password change therefore never returns a token for the
 * old password: its retry checks the old password against the new hash and fails.
 *
 * Limits, as etcd's: a token thrown away stays valid (never returned, unguessable) until it
 * expires; a login whose every attempt races another auth change keeps retrying.
 */
import type { etcdserverpb as pb } from "@etcd-ts/api";
import type { AuthStore } from "@etcd-ts/auth";

/** AuthenticateStore is the part of the auth store a login uses. */
export type AuthenticateStore = Pick<AuthStore, "checkPassword" | "genTokenPrefix" | "revision">;

/**
 * authenticate logs `request.name` in and resolves with the response of the Authenticate entry
 * whose password check was made at the auth revision current when it applied.
 *
 * - `readNotify` waits until the member may serve a linearizable read, so the first check sees
 *   every auth change committed before the login arrived (etcd checks after the same wait).
 * - `propose` proposes the Authenticate entry (name and token prefix, never the password) and
 *   resolves once it has applied.
 *
 * Errors: those of `readNotify`, {@link AuthStore.checkPassword} (AuthNotEnabledError,
 * AuthFailedError, ...) and `propose`.
 */
export async function authenticate(
  auth: AuthenticateStore,
  readNotify: () => Promise<void>,
  propose: (request: pb.AuthenticateRequest) => Promise<pb.AuthenticateResponse>,
  request: Pick<pb.AuthenticateRequest, "name" | "password">,
): Promise<pb.AuthenticateResponse> {
  await readNotify();
  for (;;) {
    const checkedRevision = await auth.checkPassword(request.name, request.password);
    // The entry's `password` field carries the simple-token prefix (etcd's simple_token).
    const response = await propose({ name: request.name, password: auth.genTokenPrefix() });
    // Applying the entry does not change the auth revision: equal means nothing changed between
    // the check and the token.
    if (auth.revision === checkedRevision) return response;
  }
}
