/**
 * The auth errors that are not in @etcd-ts/api's client-facing catalogue: the one etcd lets
 * through to clients as a plain UNKNOWN status, and the configuration errors raised while
 * parsing `--auth-token` (which never reach a client). Messages are etcd's.
 */
import { EtcdError, GrpcStatus } from "@etcd-ts/api";

/**
 * NoPasswordUserError is etcd's ErrNoPasswordUser: Authenticate named a user created with
 * `--no-password` (such users authenticate by TLS certificate only). etcd does not map it to
 * a catalogue error, so clients receive it with code UNKNOWN and the auth layer's own text.
 */
export class NoPasswordUserError extends EtcdError {
  /** code is UNKNOWN, as etcd sends it. */
  static readonly code = GrpcStatus.UNKNOWN;
  /** message is etcd's text for this error. */
  static readonly message = "auth: authentication failed, password was given for no password user";
  /** Creates the error. */
  constructor(options?: ErrorOptions) {
    super(NoPasswordUserError.code, NoPasswordUserError.message, options);
  }
}

/**
 * VerifyOnlyError is etcd's ErrVerifyOnly: a JWT provider configured with a public key only
 * was asked to sign a token (Authenticate on such a member). Clients see code UNKNOWN.
 */
export class VerifyOnlyError extends EtcdError {
  /** code is UNKNOWN, as etcd sends it. */
  static readonly code = GrpcStatus.UNKNOWN;
  /** message is etcd's text for this error. */
  static readonly message = "auth: token signing attempted with verify-only key";
  /** Creates the error. */
  constructor(options?: ErrorOptions) {
    super(VerifyOnlyError.code, VerifyOnlyError.message, options);
  }
}

/** AuthConfigError is a bad `--auth-token` setting; `message` is etcd's text where it has one. */
export class AuthConfigError extends Error {
  /** INVALID_OPTIONS is etcd's ErrInvalidAuthOpts text. */
  static readonly INVALID_OPTIONS = "auth: invalid auth options";
  /** INVALID_METHOD is etcd's ErrInvalidAuthMethod text. */
  static readonly INVALID_METHOD = "auth: invalid auth signature method";
  /** MISSING_KEY is etcd's ErrMissingKey text. */
  static readonly MISSING_KEY = "auth: missing key data";
  /** KEY_MISMATCH is etcd's ErrKeyMismatch text. */
  static readonly KEY_MISMATCH = "auth: public and private keys don't match";

  /** Creates the error with one of the texts above (or another explanation). */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AuthConfigError";
  }
}
