// The pieces of client TLS on their own: the DER writer and etcd's auto-TLS certificate (node's
// X509Certificate must parse it and verify its signature), the CRL reader (against CRLs made
// by the openssl CLI), and the Go → OpenSSL cipher suite names (against `openssl ciphers -stdname`).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, connect, type TLSSocket } from "node:tls";
import { describe, it } from "node:test";
import { makeTlsFixtures, opensslAvailable } from "@etcd-ts/testkit";
import { GO_CIPHER_SUITES, ensureSelfCert, opensslCiphers, selfSignedCert } from "../src/index.js";
import { integer, oid, readTlv, time } from "../src/tls/der.js";
import { normalizeSerial, revokedSerials } from "../src/tls/crl.js";
import { ipBytes } from "../src/tls/selfCert.js";
import { allowedHostnameRejection, certificateAllowsHost } from "../src/tls/allowedHostname.js";
import type { PeerCertificate } from "node:tls";

const hasOpenssl = opensslAvailable();

describe("--client-cert-allowed-hostname's match (Go's VerifyHostname)", () => {
  const cert = (subjectaltname: string | undefined, CN = "someone"): PeerCertificate => ({ subjectaltname, subject: { CN } }) as unknown as PeerCertificate;
  it("matches DNS SANs case-insensitively, a trailing dot ignored, `*` for one left-most label only", () => {
    const c = cert("DNS:Node1.Example.com, DNS:*.svc.example.com");
    for (const host of ["node1.example.com", "NODE1.example.com.", "a.svc.example.com"]) assert.ok(certificateAllowsHost(c, host), host);
    for (const host of ["example.com", "x.node1.example.com", "a.b.svc.example.com", "svc.example.com", ""]) assert.ok(!certificateAllowsHost(c, host), host);
  });
  it("matches IP addresses against IP SANs only, IPv6 in any spelling", () => {
    const c = cert("DNS:127.0.0.1, IP Address:10.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    assert.ok(certificateAllowsHost(c, "10.0.0.1"));
    assert.ok(certificateAllowsHost(c, "::1"));
    assert.ok(certificateAllowsHost(c, "[::1]"));
    assert.ok(!certificateAllowsHost(c, "127.0.0.1"), "a DNS SAN spelling an address is not an IP SAN");
  });
  it("never takes the Common Name for a missing SAN, and refuses a connection without a certificate", () => {
    assert.ok(!certificateAllowsHost(cert(undefined, "localhost"), "localhost"));
    assert.equal(allowedHostnameRejection(cert(undefined, "localhost"), "localhost"), "client certificate authentication failed");
    assert.equal(allowedHostnameRejection(undefined, "localhost"), "client certificate authentication failed");
    assert.equal(allowedHostnameRejection(cert("DNS:localhost"), "localhost"), undefined);
  });
});

describe("DER writer", () => {
  it("encodes INTEGERs minimally and positive, OIDs in base 128, X.509 times by year", () => {
    assert.equal(integer(0).toString("hex"), "020100");
    assert.equal(integer(127).toString("hex"), "02017f");
    assert.equal(integer(128).toString("hex"), "02020080");
    assert.equal(integer(Buffer.from("000001ff", "hex")).toString("hex"), "020201ff");
    assert.equal(oid("1.2.840.10045.4.3.4").toString("hex"), "06082a8648ce3d040304");
    assert.equal(time(new Date("2026-01-02T03:04:05Z")).toString("latin1").slice(2), "260102030405Z");
    assert.equal(time(new Date("2051-01-02T03:04:05Z")).toString("latin1").slice(2), "20510102030405Z");
    const long = readTlv(Buffer.concat([Buffer.from([0x04, 0x82, 0x01, 0x00]), Buffer.alloc(256)]));
    assert.equal(long.contents.length, 256);
  });

  it("writes IP addresses as 4 or 16 bytes", () => {
    assert.equal(ipBytes("127.0.0.1").toString("hex"), "7f000001");
    assert.equal(ipBytes("::1").toString("hex"), "00000000000000000000000000000001");
    assert.equal(ipBytes("fe80::1:2").toString("hex"), "fe800000000000000000000000010002");
    assert.equal(ipBytes("::ffff:10.0.0.1").toString("hex"), "00000000000000000000ffff0a000001");
  });
});

describe("auto TLS certificate (etcd's SelfCert)", () => {
  it("is a self-signed ECDSA P-521 certificate that node:crypto parses and verifies", () => {
    const made = selfSignedCert({ hosts: ["127.0.0.1", "localhost", "::1"], now: new Date("2030-06-01T00:00:00Z") });
    const cert = new X509Certificate(made.certPem);
    assert.equal(cert.subject, "O=etcd");
    assert.equal(cert.issuer, "O=etcd");
    assert.ok(cert.verify(cert.publicKey), "signed by its own key");
    assert.ok(cert.checkPrivateKey(createPrivateKey(made.keyPem)));
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, "secp521r1");
    assert.equal(cert.ca, false);
    assert.deepEqual(cert.keyUsage, ["1.3.6.1.5.5.7.3.1"], "extended key usage serverAuth");
    assert.equal(cert.subjectAltName, "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    assert.equal(cert.checkIP("127.0.0.1"), "127.0.0.1");
    assert.equal(cert.checkHost("localhost"), "localhost");
    assert.equal(new Date(cert.validFrom).toISOString(), "2030-06-01T00:00:00.000Z");
    assert.equal(new Date(cert.validTo).toISOString(), "2031-06-01T00:00:00.000Z");
    assert.match(cert.serialNumber, /^[0-9A-F]{1,32}$/);
    assert.match(made.keyPem, /^-----BEGIN EC PRIVATE KEY-----\n/);
  });

  it("openssl reads the same extensions etcd writes", { skip: hasOpenssl ? false : "no openssl" }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "selfcert-"));
    try {
      const { certFile } = await ensureSelfCert(dir, ["127.0.0.1"]);
      const text = execFileSync("openssl", ["x509", "-in", certFile, "-noout", "-text"], { encoding: "utf8" });
      assert.match(text, /Signature Algorithm: ecdsa-with-SHA512/);
      assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
      assert.match(text, /X509v3 Extended Key Usage:\s+TLS Web Server Authentication/);
      assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
      assert.match(text, /IP Address:127\.0\.0\.1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("is written once into its directory (key 0600) and reused", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "selfcert-")), "fixtures", "client");
    try {
      const first = await ensureSelfCert(dir, ["127.0.0.1"]);
      assert.equal(first.certFile, join(dir, "cert.pem"));
      assert.equal(first.keyFile, join(dir, "key.pem"));
      assert.equal((await stat(first.keyFile)).mode & 0o777, 0o600);
      assert.equal((await stat(dir)).mode & 0o777, 0o700);
      const pem = await readFile(first.certFile, "utf8");
      await ensureSelfCert(dir, ["127.0.0.1"]);
      assert.equal(await readFile(first.certFile, "utf8"), pem, "kept across restarts");
    } finally {
      await rm(join(dir, "..", ".."), { recursive: true, force: true });
    }
  });

  it("serves a TLS handshake", async () => {
    const made = selfSignedCert({ hosts: ["127.0.0.1"] });
    const server = createServer({ cert: made.certPem, key: made.keyPem }, (socket) => socket.end("hi"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const text = await new Promise<string>((resolve, reject) => {
        const socket: TLSSocket = connect({ port, host: "127.0.0.1", ca: made.certPem }, () => undefined);
        let data = "";
        socket.on("data", (chunk: Buffer) => (data += chunk.toString()));
        socket.on("end", () => resolve(data));
        socket.on("error", reject);
      });
      assert.equal(text, "hi", "the client verified it against itself as CA");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("CRL serials", () => {
  it("reads the revoked serials of PEM and DER CRLs made by openssl", { skip: hasOpenssl ? false : "no openssl" }, () => {
    const fixtures = makeTlsFixtures();
    try {
      const alice = fixtures.client("alice");
      const bob = fixtures.client("bob");
      const crl = fixtures.crl("two", [alice.cert, bob.cert]);
      const serialOf = (path: string): string => normalizeSerial(execFileSync("openssl", ["x509", "-in", path, "-noout", "-serial"], { encoding: "utf8" }).split("=")[1]!);
      const expected = new Set([serialOf(alice.cert), serialOf(bob.cert)]);
      assert.deepEqual(revokedSerials(readFileSync(crl)), expected);
      const der = execFileSync("openssl", ["crl", "-in", crl, "-outform", "DER"]);
      assert.deepEqual(revokedSerials(der), expected);
      assert.deepEqual(revokedSerials(readFileSync(fixtures.crl("none", []))), new Set());
      assert.throws(() => revokedSerials(Buffer.from("garbage")));
    } finally {
      fixtures.remove();
    }
  });

  it("normalizes serials as etcd prints them", () => {
    assert.equal(normalizeSerial("00:8F:AB"), "8fab");
    assert.equal(normalizeSerial("ABC"), "0abc");
  });
});

describe("--cipher-suites", () => {
  it("maps each Go name to the OpenSSL suite with the same IANA name", { skip: hasOpenssl ? false : "no openssl" }, () => {
    const table = new Map(
      execFileSync("openssl", ["ciphers", "-stdname", "ALL:COMPLEMENTOFALL"], { encoding: "utf8" })
        .split("\n")
        .map((line) => line.split(/\s+-\s+|\s+/))
        .map(([iana = "", openssl = ""]) => [iana, openssl] as const),
    );
    for (const [go, openssl] of GO_CIPHER_SUITES) {
      if (openssl === undefined) continue;
      // Go names its CHACHA20 suites with and without the _SHA256 the IANA name has.
      const iana = /CHACHA20_POLY1305$/.test(go) ? `${go}_SHA256` : go;
      if (/RC4|3DES/.test(go)) continue; // not in OpenSSL 3 (see cipherSuites.ts)
      assert.equal(openssl, table.get(iana), go);
    }
  });

  it("refuses names etcd refuses, with etcd's message", () => {
    assert.throws(() => opensslCiphers(["TLS_FOO"]), { message: 'unexpected TLS cipher suite "TLS_FOO"' });
    assert.throws(() => opensslCiphers(["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", " TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]), { message: 'unexpected TLS cipher suite " TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"' });
    assert.throws(() => opensslCiphers([""]), { message: 'unexpected TLS cipher suite ""' });
    assert.throws(() => opensslCiphers(["tls_ecdhe_rsa_with_aes_128_gcm_sha256"]), /unexpected TLS cipher suite/);
    assert.throws(() => opensslCiphers(["TLS_RSA_WITH_RC4_128_SHA"]), /not available/);
  });

  it("restricts TLS 1.2 and keeps TLS 1.3's suites", () => {
    assert.equal(opensslCiphers([]), undefined);
    assert.equal(
      opensslCiphers(["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_RC4_128_SHA", "TLS_AES_128_GCM_SHA256"]),
      "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256",
    );
  });
});
