/**
 * JWT tokens, etcd's `--auth-token jwt,pub-key=...,priv-key=...,sign-method=...,ttl=...`.
 *
 * A token is a JWS compact serialisation whose claims are exactly etcd's:
 * `{"exp":<unix seconds>,"revision":<auth revision>,"username":"<name>"}` under the header
 * `{"alg":"<method>","typ":"JWT"}`. Any member holding the public key can check a token
 * without shared state, and the token carries the auth revision it was issued at, so a token
 * older than an auth change is refused by the revision check (AuthOldRevisionError) and the
 * client re-authenticates. JWTs cannot be recalled: disabling auth or deleting a user does not
 * invalidate them by itself (the revision check does the work).
 *
 * Signing methods: RS256/384/512 (RSASSA-PKCS1-v1_5), PS256/384/512 (RSASSA-PSS, salt =
 * hash length; verification accepts any salt length, as Go's does), ES256/384/512 (ECDSA on
 * P-256/P-384/P-521, raw r||s signatures) and HS256/384/512 (HMAC with the `priv-key` file's
 * bytes as the secret). Built on node:crypto only. A token is valid when its signature
 * verifies with the configured key and method (the header's `alg` must equal it), `exp`,
 * `nbf` and `iat` (when present) hold against the injected clock, and `username` is a
 * string and `revision` a number.
 */
import { createHmac, createPrivateKey, createPublicKey, sign, timingSafeEqual, verify, constants } from "node:crypto";
import type { KeyObject } from "node:crypto";
import type { Clock } from "./Clock.js";
import { systemClock } from "./Clock.js";
import { AuthConfigError, VerifyOnlyError } from "./errors.js";
import type { AssignParams, AuthInfo, TokenProvider } from "./TokenProvider.js";

/** JwtSignMethod is a supported `sign-method`. */
export type JwtSignMethod =
  | "RS256" | "RS384" | "RS512"
  | "PS256" | "PS384" | "PS512"
  | "ES256" | "ES384" | "ES512"
  | "HS256" | "HS384" | "HS512";

/** JWT_SIGN_METHODS lists the supported methods. */
export const JWT_SIGN_METHODS: readonly JwtSignMethod[] = [
  "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "HS256", "HS384", "HS512",
];

/** DEFAULT_JWT_TTL_MS is etcd's default JWT lifetime: 5 minutes. */
export const DEFAULT_JWT_TTL_MS = 300_000;

/** isJwtSignMethod tells whether `name` is a supported method. */
export function isJwtSignMethod(name: string): name is JwtSignMethod {
  return (JWT_SIGN_METHODS as readonly string[]).includes(name);
}

/** Key material: a KeyObject, or PEM text/bytes (HMAC: the secret bytes themselves). */
export type JwtKey = KeyObject | string | Uint8Array;

/** JwtTokenOptions configure a {@link JwtTokenProvider}. */
export interface JwtTokenOptions {
  /** signMethod is the JWS algorithm. */
  readonly signMethod: JwtSignMethod;
  /** privateKey signs (and, when no public key is given, verifies). HMAC: the secret. */
  readonly privateKey?: JwtKey;
  /** publicKey verifies; given alone, the provider can verify but not issue tokens. */
  readonly publicKey?: JwtKey;
  /** ttlMs is the token lifetime; default 5 minutes. */
  readonly ttlMs?: number;
  /** clock tells the time for `exp`; default the system clock. */
  readonly clock?: Clock;
}

const HASH = { "256": "sha256", "384": "sha384", "512": "sha512" } as const;
const CURVE = { ES256: "prime256v1", ES384: "secp384r1", ES512: "secp521r1" } as const;

function b64url(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString("base64url");
}

function isKeyObject(key: JwtKey): key is KeyObject {
  return typeof key === "object" && !(key instanceof Uint8Array);
}

/** JwtTokenProvider is the {@link TokenProvider} for JWTs; see the module comment. */
export class JwtTokenProvider implements TokenProvider {
  /** kind is "jwt". */
  readonly kind = "jwt" as const;
  /** signMethod is the configured JWS algorithm. */
  readonly signMethod: JwtSignMethod;
  /** ttlMs is the lifetime of issued tokens. */
  readonly ttlMs: number;
  /** verifyOnly is true when only a public key was given: tokens are checked, never issued. */
  readonly verifyOnly: boolean;
  readonly #clock: Clock;
  readonly #hash: string;
  readonly #family: "RS" | "PS" | "ES" | "HS";
  readonly #signKey: KeyObject | Buffer | undefined;
  readonly #verifyKey: KeyObject | Buffer;
  readonly #header: string;

  /**
   * Creates a provider. Throws AuthConfigError when no key is given, a key does not suit
   * the method (wrong type or curve), or the public key does not belong to the private key.
   */
  constructor(options: JwtTokenOptions) {
    if (!isJwtSignMethod(options.signMethod)) throw new AuthConfigError(AuthConfigError.INVALID_METHOD);
    this.signMethod = options.signMethod;
    this.ttlMs = options.ttlMs !== undefined && options.ttlMs > 0 ? options.ttlMs : DEFAULT_JWT_TTL_MS;
    this.#clock = options.clock ?? systemClock;
    this.#family = this.signMethod.slice(0, 2) as "RS" | "PS" | "ES" | "HS";
    this.#hash = HASH[this.signMethod.slice(2) as "256" | "384" | "512"];
    this.#header = b64url(JSON.stringify({ alg: this.signMethod, typ: "JWT" }));

    if (this.#family === "HS") {
      const raw = options.privateKey;
      if (raw === undefined) throw new AuthConfigError(AuthConfigError.MISSING_KEY);
      if (isKeyObject(raw) && raw.type !== "secret") throw new AuthConfigError(`auth: a ${raw.type} key cannot be used with ${this.signMethod}`);
      const secret = isKeyObject(raw) ? raw.export() : Buffer.from(raw);
      if (secret.length === 0) throw new AuthConfigError(AuthConfigError.MISSING_KEY);
      this.#signKey = secret;
      this.#verifyKey = secret;
      this.verifyOnly = false;
      return;
    }

    const priv = options.privateKey === undefined ? undefined : this.#loadKey(options.privateKey, "private");
    const pub = options.publicKey === undefined ? undefined : this.#loadKey(options.publicKey, "public");
    if (priv === undefined && pub === undefined) throw new AuthConfigError(AuthConfigError.MISSING_KEY);
    if (priv !== undefined && pub !== undefined) {
      const derived = createPublicKey(priv).export({ type: "spki", format: "der" });
      if (!derived.equals(pub.export({ type: "spki", format: "der" }))) throw new AuthConfigError(AuthConfigError.KEY_MISMATCH);
    }
    this.#signKey = priv;
    this.#verifyKey = pub ?? createPublicKey(priv as KeyObject);
    this.verifyOnly = priv === undefined;
  }

  #loadKey(key: JwtKey, kind: "private" | "public"): KeyObject {
    let object: KeyObject;
    try {
      if (isKeyObject(key)) object = kind === "public" && key.type === "private" ? createPublicKey(key) : key;
      else object = kind === "private" ? createPrivateKey(Buffer.from(key)) : createPublicKey(Buffer.from(key));
    } catch (cause) {
      throw new AuthConfigError(`auth: cannot parse the JWT ${kind} key: ${(cause as Error).message}`, { cause });
    }
    if (kind === "private" && object.type !== "private") throw new AuthConfigError(`auth: the JWT private key is a ${object.type} key`);
    const type = object.asymmetricKeyType;
    const ok =
      this.#family === "ES"
        ? type === "ec" && object.asymmetricKeyDetails?.namedCurve === CURVE[this.signMethod as keyof typeof CURVE]
        : type === "rsa" || type === "rsa-pss";
    if (!ok) throw new AuthConfigError(`auth: a ${type ?? "symmetric"} key cannot be used with ${this.signMethod}`);
    return object;
  }

  /** assign signs a token for `username` at `revision`, expiring ttl from now. */
  assign(username: string, revision: number, _params?: AssignParams): string {
    if (this.#signKey === undefined) throw new VerifyOnlyError();
    const exp = Math.floor((this.#clock.now() + this.ttlMs) / 1000);
    const payload = b64url(JSON.stringify({ exp, revision, username }));
    const signingInput = `${this.#header}.${payload}`;
    return `${signingInput}.${b64url(this.#sign(Buffer.from(signingInput)))}`;
  }

  /** info verifies a token and returns the username and revision it carries. */
  info(token: string, _currentRevision: number): AuthInfo | undefined {
    const parts = token.split(".");
    if (parts.length !== 3) return undefined;
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    let header: unknown;
    let claims: unknown;
    try {
      header = JSON.parse(Buffer.from(headerPart, "base64url").toString("utf8"));
      claims = JSON.parse(Buffer.from(payloadPart, "base64url").toString("utf8"));
    } catch {
      return undefined;
    }
    if (typeof header !== "object" || header === null || (header as { alg?: unknown }).alg !== this.signMethod) return undefined;
    const signature = Buffer.from(signaturePart, "base64url");
    if (!this.#verify(Buffer.from(`${headerPart}.${payloadPart}`), signature)) return undefined;
    if (typeof claims !== "object" || claims === null) return undefined;
    const { exp, nbf, iat, username, revision } = claims as Record<string, unknown>;
    const nowSeconds = Math.floor(this.#clock.now() / 1000);
    if (exp !== undefined && (typeof exp !== "number" || (exp !== 0 && nowSeconds > Math.trunc(exp)))) return undefined;
    if (nbf !== undefined && (typeof nbf !== "number" || nowSeconds < Math.trunc(nbf))) return undefined;
    if (iat !== undefined && (typeof iat !== "number" || nowSeconds < Math.trunc(iat))) return undefined;
    if (typeof username !== "string" || typeof revision !== "number" || !Number.isSafeInteger(revision) || revision < 0) return undefined;
    return { username, revision };
  }

  #sign(data: Buffer): Buffer {
    const key = this.#signKey as KeyObject | Buffer;
    switch (this.#family) {
      case "HS":
        return createHmac(this.#hash, key).update(data).digest();
      case "RS":
        return sign(this.#hash, data, { key: key as KeyObject, padding: constants.RSA_PKCS1_PADDING });
      case "PS":
        return sign(this.#hash, data, { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
      case "ES":
        return sign(this.#hash, data, { key: key as KeyObject, dsaEncoding: "ieee-p1363" });
    }
  }

  #verify(data: Buffer, signature: Buffer): boolean {
    try {
      switch (this.#family) {
        case "HS": {
          const expected = createHmac(this.#hash, this.#verifyKey).update(data).digest();
          return expected.length === signature.length && timingSafeEqual(expected, signature);
        }
        case "RS":
          return verify(this.#hash, data, { key: this.#verifyKey as KeyObject, padding: constants.RSA_PKCS1_PADDING }, signature);
        case "PS":
          return verify(this.#hash, data, { key: this.#verifyKey as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
        case "ES":
          return verify(this.#hash, data, { key: this.#verifyKey as KeyObject, dsaEncoding: "ieee-p1363" }, signature);
      }
    } catch {
      return false;
    }
  }

  /** enable does nothing: JWTs need no state. */
  enable(): void {}
  /** disable does nothing: issued JWTs cannot be recalled. */
  disable(): void {}
  /** invalidateUser does nothing: issued JWTs cannot be recalled. */
  invalidateUser(_username: string): void {}
  /** genTokenPrefix returns "": JWTs need no prefix. */
  genTokenPrefix(): string {
    return "";
  }
}
