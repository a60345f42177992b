/** JWT tokens: every sign method round-trips, wrong keys and tampering fail, expiry on a fake clock, options. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { ManualClock } from "../src/Clock.js";
import { AuthConfigError, VerifyOnlyError } from "../src/errors.js";
import { JwtTokenProvider, JWT_SIGN_METHODS } from "../src/JwtTokens.js";
import type { JwtSignMethod } from "../src/JwtTokens.js";
import { createTokenProvider, parseAuthTokenSpec, parseGoDuration } from "../src/TokenOptions.js";
import { SimpleTokenProvider } from "../src/SimpleTokens.js";

const rsa = () => generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = (namedCurve: string) => generateKeyPairSync("ec", { namedCurve });
const RSA_A = rsa();
const RSA_B = rsa();
type Pair = ReturnType<typeof ec>;
const EC: Record<"ES256" | "ES384" | "ES512", [Pair, Pair]> = { ES256: [ec("prime256v1"), ec("prime256v1")], ES384: [ec("secp384r1"), ec("secp384r1")], ES512: [ec("secp521r1"), ec("secp521r1")] };
const NO_PARAMS = { index: 0, simpleTokenPrefix: "" };

function keysFor(method: JwtSignMethod): [{ privateKey: KeyObject | Uint8Array; publicKey?: KeyObject }, { privateKey: KeyObject | Uint8Array; publicKey?: KeyObject }] {
  if (method.startsWith("HS")) return [{ privateKey: Buffer.from("secret-one") }, { privateKey: Buffer.from("secret-two") }];
  if (method.startsWith("ES")) {
    const [a, b] = EC[method as keyof typeof EC];
    return [a, b];
  }
  return [RSA_A, RSA_B];
}

const decodePart = (part: string | undefined): unknown => JSON.parse(Buffer.from(part ?? "", "base64url").toString());

test("every sign method issues tokens with etcd's header and claims, verified by the same key", () => {
  const clock = new ManualClock(1_700_000_000_123);
  for (const method of JWT_SIGN_METHODS) {
    const [keys] = keysFor(method);
    const provider = new JwtTokenProvider({ signMethod: method, privateKey: keys.privateKey, clock });
    const token = provider.assign("alice", 7, NO_PARAMS);
    const [header, payload] = token.split(".");
    assert.equal(Buffer.from(header ?? "", "base64url").toString(), `{"alg":"${method}","typ":"JWT"}`);
    assert.equal(Buffer.from(payload ?? "", "base64url").toString(), `{"exp":${1_700_000_000 + 300},"revision":7,"username":"alice"}`);
    assert.deepEqual(provider.info(token, 99), { username: "alice", revision: 7 }, method);
    assert.equal(provider.genTokenPrefix(), "");
  }
});

test("verification with a wrong key fails, for every method", () => {
  for (const method of JWT_SIGN_METHODS) {
    const [mine, theirs] = keysFor(method);
    const issuer = new JwtTokenProvider({ signMethod: method, privateKey: theirs.privateKey });
    const verifier = new JwtTokenProvider({ signMethod: method, privateKey: mine.privateKey });
    assert.equal(verifier.info(issuer.assign("mallory", 1, NO_PARAMS), 1), undefined, method);
  }
});

test("tampered, re-labelled or malformed tokens fail", () => {
  const provider = new JwtTokenProvider({ signMethod: "RS256", privateKey: RSA_A.privateKey });
  const token = provider.assign("alice", 1, NO_PARAMS);
  const [h, p, s] = token.split(".") as [string, string, string];
  const forged = Buffer.from(JSON.stringify({ exp: 9_999_999_999, revision: 1, username: "root" })).toString("base64url");
  assert.equal(provider.info(`${h}.${forged}.${s}`, 1), undefined, "payload swapped");
  const hs = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString("base64url");
  const mac = createHmac("sha256", RSA_A.publicKey.export({ type: "spki", format: "pem" })).update(`${hs}.${p}`).digest("base64url");
  assert.equal(provider.info(`${hs}.${p}.${mac}`, 1), undefined, "alg confusion (HS256 with the public key)");
  const none = Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url");
  assert.equal(provider.info(`${none}.${p}.`, 1), undefined, "alg none");
  for (const bad of ["", "a.b", "a.b.c.d", "!!!.???.###", `${h}.${p}`]) assert.equal(provider.info(bad, 1), undefined, bad);
  // a well-signed token whose claims lack etcd's fields is refused
  const claims = Buffer.from(JSON.stringify({ exp: 9_999_999_999, username: 5 })).toString("base64url");
  const sig = sign("sha256", Buffer.from(`${h}.${claims}`), RSA_A.privateKey).toString("base64url");
  assert.equal(provider.info(`${h}.${claims}.${sig}`, 1), undefined);
});

test("tokens expire at exp (fake clock); default TTL 5 minutes, configurable", () => {
  const clock = new ManualClock(1_000_000_000);
  const provider = new JwtTokenProvider({ signMethod: "ES256", privateKey: EC.ES256[0].privateKey, clock });
  assert.equal(provider.ttlMs, 300_000);
  const token = provider.assign("alice", 1, NO_PARAMS);
  clock.advance(300_000);
  assert.ok(provider.info(token, 1), "valid at exp");
  clock.advance(1_000);
  assert.equal(provider.info(token, 1), undefined, "expired after exp");
  const short = new JwtTokenProvider({ signMethod: "HS256", privateKey: Buffer.from("k"), clock, ttlMs: 10_000 });
  const t2 = short.assign("bob", 2, NO_PARAMS);
  clock.advance(11_000);
  assert.equal(short.info(t2, 2), undefined);
});

test("public key only: verifies but cannot sign (VerifyOnlyError)", () => {
  const signer = new JwtTokenProvider({ signMethod: "PS256", privateKey: RSA_A.privateKey });
  const verifier = new JwtTokenProvider({ signMethod: "PS256", publicKey: RSA_A.publicKey });
  assert.equal(verifier.verifyOnly, true);
  assert.deepEqual(verifier.info(signer.assign("alice", 4, NO_PARAMS), 4), { username: "alice", revision: 4 });
  assert.throws(() => verifier.assign("alice", 4, NO_PARAMS), (err: unknown) => err instanceof VerifyOnlyError && err.message === "auth: token signing attempted with verify-only key");
});

test("key problems are configuration errors with etcd's messages", () => {
  assert.throws(() => new JwtTokenProvider({ signMethod: "RS256" }), { message: "auth: missing key data" });
  assert.throws(() => new JwtTokenProvider({ signMethod: "HS256" }), { message: "auth: missing key data" });
  assert.throws(() => new JwtTokenProvider({ signMethod: "RS256", privateKey: RSA_A.privateKey, publicKey: RSA_B.publicKey }), { message: "auth: public and private keys don't match" });
  assert.throws(() => new JwtTokenProvider({ signMethod: "ES384", privateKey: EC.ES256[0].privateKey }), AuthConfigError, "curve must match");
  assert.throws(() => new JwtTokenProvider({ signMethod: "ES256", privateKey: RSA_A.privateKey }), AuthConfigError);
  assert.throws(() => new JwtTokenProvider({ signMethod: "RS256", privateKey: "not a pem" }), AuthConfigError);
  assert.throws(() => new JwtTokenProvider({ signMethod: "XX256" as JwtSignMethod, privateKey: "k" }), { message: "auth: invalid auth signature method" });
});

test("--auth-token parsing and Go durations", () => {
  assert.deepEqual([...parseAuthTokenSpec("jwt,sign-method=RS256,ttl=10m").options], [["sign-method", "RS256"], ["ttl", "10m"]]);
  assert.throws(() => parseAuthTokenSpec("jwt,sign-method"), { message: "auth: invalid auth options" });
  assert.throws(() => parseAuthTokenSpec("jwt,ttl=1m,ttl=2m"), { message: "auth: invalid auth options" });
  assert.throws(() => createTokenProvider("magic"), { message: "auth: invalid auth options" });
  assert.throws(() => createTokenProvider("jwt,priv-key=x"), { message: "auth: invalid auth signature method" });
  assert.throws(() => createTokenProvider("jwt,sign-method=RS256,ttl=soon", { readFile: () => new Uint8Array(0) }), { message: "auth: invalid auth options" });
  assert.equal(parseGoDuration("300s"), 300_000);
  assert.equal(parseGoDuration("1h30m"), 5_400_000);
  assert.equal(parseGoDuration("1.5s"), 1_500);
  assert.equal(parseGoDuration("250ms"), 250);
  assert.equal(parseGoDuration("-2m"), -120_000);
  assert.equal(parseGoDuration("0"), 0);
  for (const bad of ["", "5", "m", "1x", "1h x"]) assert.throws(() => parseGoDuration(bad), AuthConfigError, bad);

  const simple = createTokenProvider("simple", { simpleTokenTtlMs: 60_000 });
  assert.ok(simple instanceof SimpleTokenProvider);
  assert.equal(simple.ttlMs, 60_000);
  const files: Record<string, string> = {
    "/k/priv.pem": RSA_A.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    "/k/pub.pem": RSA_A.publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
  const clock = new ManualClock(0);
  const jwt = createTokenProvider("jwt,pub-key=/k/pub.pem,priv-key=/k/priv.pem,sign-method=RS512,ttl=2m,unknown=1", {
    readFile: (path) => Buffer.from(files[path] ?? ""),
    clock,
  });
  assert.ok(jwt instanceof JwtTokenProvider);
  assert.equal(jwt.signMethod, "RS512");
  assert.equal(jwt.ttlMs, 120_000);
  const token = jwt.assign("root", 3, NO_PARAMS);
  assert.equal((decodePart(token.split(".")[1]) as { exp: number }).exp, 120);
  assert.deepEqual(jwt.info(token, 3), { username: "root", revision: 3 });
});
