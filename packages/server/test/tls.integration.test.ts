// Client TLS end to end, on real sockets: members started with etcd's TLS options, driven by the
// real etcdctl (grpc-go), grpc-js, node:https and bare TLS handshakes. Certificates come from
// the openssl CLI (testkit's makeTlsFixtures).
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as http2Connect, type IncomingHttpHeaders } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { encodeFrame, etcdserverpb as pb } from "@etcd-ts/api";
import { makeTlsFixtures, opensslAvailable, startMember, type CertPair, type TlsFixtures } from "@etcd-ts/testkit";
import { startEtcd, type ClientTlsConfig, type Etcd } from "../src/index.js";
import { etcdctl } from "./support/etcdctl.js";
import { handshake, https, refused, tlsFlags } from "./support/tlsClient.js";

const skip = opensslAvailable() ? false : "no openssl CLI";
let fixtures: TlsFixtures;
before(() => {
  if (!skip) fixtures = makeTlsFixtures();
});
after(() => fixtures?.remove());

const hostPort = (url: string): string => url.replace(/^https?:\/\//, "");
const portOf = (url: string): number => Number(new URL(url).port);

/** until polls `check` (new connections each time) until it holds, for up to 30 s. */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe("server TLS beside a cleartext listener", { skip, timeout: 120_000 }, () => {
  let etcd: Etcd;
  let secureUrl: string;
  let plainUrl: string;
  before(async () => {
    etcd = await startEtcd({
      listenClientUrls: ["https://127.0.0.1:0", "http://127.0.0.1:0"],
      advertiseClientUrls: ["https://127.0.0.1:0"],
      clientTls: { certFile: fixtures.server.cert, keyFile: fixtures.server.key },
    });
    [secureUrl = "", plainUrl = ""] = etcd.clientUrls;
  });
  after(() => etcd?.close());

  it("reports https:// and http:// client URLs", () => {
    assert.match(secureUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(plainUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(etcd.config.advertiseClientUrls, [secureUrl]);
  });

  it("serves etcdctl (grpc-go, ALPN h2) over TLS, and the same data in cleartext", async () => {
    const put = await etcdctl(hostPort(secureUrl), [...tlsFlags(fixtures.ca), "put", "tls-key", "over-tls"]);
    assert.equal(put.code, 0, put.stderr);
    const get = await etcdctl(hostPort(plainUrl), ["get", "tls-key", "--print-value-only"]);
    assert.equal(get.stdout, "over-tls\n");
    const viaTls = await etcdctl(hostPort(secureUrl), [...tlsFlags(fixtures.ca), "get", "tls-key", "--print-value-only"]);
    assert.equal(viaTls.stdout, "over-tls\n");
  });

  it("refuses cleartext on the TLS port and TLS on the cleartext port", async () => {
    const cleartext = await etcdctl(hostPort(secureUrl), ["--command-timeout", "2s", "get", "tls-key"]);
    assert.notEqual(cleartext.code, 0);
    const tlsOnPlain = await handshake(portOf(plainUrl), { ca: fixtures.ca });
    assert.equal(tlsOnPlain.ok, false);
  });

  it("serves grpc-js over TLS", async () => {
    const client = new grpc.Client(hostPort(secureUrl), grpc.credentials.createSsl(readFileSync(fixtures.ca)), { "grpc.ssl_target_name_override": "localhost" });
    try {
      const method = pb.KVService.range;
      const response = await new Promise<pb.RangeResponse>((resolve, reject) =>
        client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, { key: Buffer.from("tls-key") }, (error, value) => (error ? reject(error) : resolve(value!))),
      );
      assert.equal(Buffer.from(response.kvs[0]!.value).toString(), "over-tls");
    } finally {
      client.close();
    }
  });

  it("serves /health, /version, /metrics and the JSON gateway over HTTPS (HTTP/1.1, even when h2 is offered too)", async () => {
    const health = await https(`${secureUrl}/health`, { ca: fixtures.ca, alpn: ["h2", "http/1.1"] });
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { health: "true" });
    assert.deepEqual(JSON.parse((await https(`${secureUrl}/version`, { ca: fixtures.ca })).body), { etcdserver: "3.4.23", etcdcluster: "3.4.0" });
    const metrics = await https(`${secureUrl}/metrics`, { ca: fixtures.ca });
    assert.match(metrics.body, /^etcd_server_has_leader 1$/m);
    const range = await https(`${secureUrl}/v3/kv/range`, { ca: fixtures.ca, method: "POST", body: JSON.stringify({ key: Buffer.from("tls-key").toString("base64") }) });
    assert.equal(range.status, 200);
    const kv = (JSON.parse(range.body) as { kvs: { value: string }[] }).kvs[0]!;
    assert.equal(Buffer.from(kv.value, "base64").toString(), "over-tls");
  });

  it("negotiates ALPN: http/1.1 when offered, h2 for gRPC-only clients, sniffs clients without ALPN", async () => {
    const both = await handshake(portOf(secureUrl), { ca: fixtures.ca, ALPNProtocols: ["h2", "http/1.1"] });
    assert.ok(both.ok && both.alpn === "http/1.1" && both.served);
    const none = await handshake(portOf(secureUrl), { ca: fixtures.ca, ALPNProtocols: [] });
    assert.ok(none.ok && none.alpn === false && none.served, "no ALPN: HTTP/1 by its first bytes");
    // HTTP/2 without ALPN: the preface decides, as on the cleartext port.
    const session = http2Connect(secureUrl, {
      createConnection: () => tlsConnect({ host: "127.0.0.1", port: portOf(secureUrl), ca: readFileSync(fixtures.ca), servername: "localhost", ALPNProtocols: [] }),
    });
    try {
      const status = await new Promise<string>((resolve, reject) => {
        const method = pb.KVService.range;
        const stream = session.request({ ":method": "POST", ":path": method.path, "content-type": "application/grpc", te: "trailers" });
        const frame = encodeFrame(method.requestType, { key: Buffer.from("tls-key") });
        stream.on("trailers", (trailers: IncomingHttpHeaders) => resolve(String(trailers["grpc-status"])));
        stream.on("data", () => undefined);
        stream.on("error", reject);
        stream.end(frame);
      });
      assert.equal(status, "0");
    } finally {
      session.destroy();
    }
  });

  it("refuses TLS 1.1 and accepts TLS 1.2 and 1.3", async () => {
    // The client can speak TLS 1.1 (SECLEVEL=0); the server answers with a protocol_version alert.
    const old = await handshake(portOf(secureUrl), { ca: fixtures.ca, minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" });
    assert.ok(!old.ok && /alert protocol version/.test(old.error), JSON.stringify(old));
    const tls12 = await handshake(portOf(secureUrl), { ca: fixtures.ca, maxVersion: "TLSv1.2" });
    assert.ok(tls12.ok && tls12.protocol === "TLSv1.2" && tls12.served);
    const tls13 = await handshake(portOf(secureUrl), { ca: fixtures.ca });
    assert.ok(tls13.ok && tls13.protocol === "TLSv1.3" && tls13.served);
  });

  it("does not ask for client certificates without a trusted CA", async () => {
    const result = await handshake(portOf(secureUrl), { ca: fixtures.ca, client: fixtures.client("root") });
    assert.ok(result.ok && result.served);
  });
});

describe("mutual TLS (--client-cert-auth, --trusted-ca-file, --client-crl-file)", { skip, timeout: 120_000 }, () => {
  let etcd: Etcd;
  let url: string;
  let crlFile: string;
  let otherCa: TlsFixtures;
  const rejections: string[] = [];
  before(async () => {
    otherCa = makeTlsFixtures();
    crlFile = join(fixtures.dir, "mutual.crl.pem");
    copyFileSync(fixtures.crl("revoke-mallory", [fixtures.client("mallory").cert]), crlFile);
    etcd = await startEtcd({
      listenClientUrls: ["https://127.0.0.1:0"],
      advertiseClientUrls: ["https://127.0.0.1:0"],
      clientTls: { certFile: fixtures.server.cert, keyFile: fixtures.server.key, trustedCaFile: fixtures.ca, clientCertAuth: true, crlFile },
    }, { onTlsReject: (remote, reason) => rejections.push(`${remote} ${reason}`) });
    url = etcd.clientUrls[0]!;
  });
  after(async () => {
    await etcd?.close();
    otherCa?.remove();
  });

  it("serves a client with a certificate signed by the trusted CA", async () => {
    const put = await etcdctl(hostPort(url), [...tlsFlags(fixtures.ca, fixtures.client("root")), "put", "m", "1"]);
    assert.equal(put.code, 0, put.stderr);
    const health = await https(`${url}/health`, { ca: fixtures.ca, client: fixtures.client("root") });
    assert.deepEqual(JSON.parse(health.body), { health: "true" });
  });

  it("refuses a client without a certificate at the handshake", async () => {
    assert.ok(refused(await handshake(portOf(url), { ca: fixtures.ca })));
    assert.ok(refused(await handshake(portOf(url), { ca: fixtures.ca, maxVersion: "TLSv1.2" })));
    const result = await etcdctl(hostPort(url), ["--command-timeout", "2s", ...tlsFlags(fixtures.ca), "get", "m"]);
    assert.notEqual(result.code, 0);
    await assert.rejects(https(`${url}/health`, { ca: fixtures.ca }));
    await until("the refusal to be reported", () => rejections.some((line) => /^127\.0\.0\.1:\d+ tls: client didn't provide a certificate$/.test(line)));
  });

  it("refuses a certificate from another CA", async () => {
    assert.ok(refused(await handshake(portOf(url), { ca: fixtures.ca, client: otherCa.client("root") })));
    const result = await etcdctl(hostPort(url), ["--command-timeout", "2s", ...tlsFlags(fixtures.ca, otherCa.client("root")), "get", "m"]);
    assert.notEqual(result.code, 0);
  });

  it("refuses a revoked certificate, and reads a new CRL without a restart", async () => {
    assert.ok(refused(await handshake(portOf(url), { ca: fixtures.ca, client: fixtures.client("mallory") })));
    const denied = await etcdctl(hostPort(url), ["--command-timeout", "2s", ...tlsFlags(fixtures.ca, fixtures.client("mallory")), "get", "m"]);
    assert.notEqual(denied.code, 0);
    assert.ok(rejections.some((line) => /^127\.0\.0\.1:\d+ transport: certificate serial [0-9a-f]+ revoked$/.test(line)), rejections.join("\n"));
    const eve = fixtures.client("eve");
    assert.ok(!refused(await handshake(portOf(url), { ca: fixtures.ca, client: eve })));
    copyFileSync(fixtures.crl("revoke-eve", [fixtures.client("mallory").cert, eve.cert]), crlFile);
    await until("eve's certificate to be refused", async () => refused(await handshake(portOf(url), { ca: fixtures.ca, client: eve })));
    assert.ok(!refused(await handshake(portOf(url), { ca: fixtures.ca, client: fixtures.client("root") })), "others still served");
  });
});

describe("--client-cert-allowed-hostname, side by side with etcd 3.4", { skip, timeout: 180_000, concurrency: true }, () => {
  // Each certificate is tried with etcdctl against the real etcd and ours, started with the
  // same flags. The expectations are what etcd 3.4.23 was first seen to do by hand (etcdctl
  // put with each certificate); the test holds both servers to them, so etcd stays the oracle.
  // Go checks the SANs only: a Common Name that equals the host name is not enough.
  interface Case {
    readonly title: string;
    readonly cert: () => CertPair | undefined;
    readonly accepted: Readonly<Record<string, boolean>>;
  }
  const wildcard = (): CertPair => fixtures.client("wild", "DNS:*.example.com");
  const cases: readonly Case[] = [
    { title: "SAN DNS:localhost, IP:127.0.0.1", cert: () => fixtures.server, accepted: { localhost: true, "a.example.com": false, "127.0.0.1": true } },
    { title: "no SAN, CN alice", cert: () => fixtures.client("alice"), accepted: { localhost: false, "a.example.com": false, "127.0.0.1": false } },
    { title: "no SAN, CN localhost", cert: () => fixtures.client("localhost"), accepted: { localhost: false, "a.example.com": false, "127.0.0.1": false } },
    { title: "SAN DNS:*.example.com", cert: wildcard, accepted: { localhost: false, "a.example.com": true, "127.0.0.1": false } },
    { title: "no certificate", cert: () => undefined, accepted: { localhost: false, "a.example.com": false, "127.0.0.1": false } },
  ];

  for (const host of ["localhost", "a.example.com", "127.0.0.1"]) {
    it(`--client-cert-allowed-hostname ${host}`, async () => {
      // The real etcd's health probe needs a certificate the check lets through.
      const probe = host === "a.example.com" ? wildcard() : fixtures.server;
      const real = await startMember({
        binary: "etcd",
        flags: ["--client-cert-allowed-hostname", host],
        tls: { ca: fixtures.ca, cert: fixtures.server.cert, key: fixtures.server.key, clientCertAuth: true, client: probe },
      });
      const rejections: string[] = [];
      const ours = await startEtcd({
        listenClientUrls: ["https://127.0.0.1:0"],
        advertiseClientUrls: ["https://127.0.0.1:0"],
        clientTls: { certFile: fixtures.server.cert, keyFile: fixtures.server.key, trustedCaFile: fixtures.ca, clientCertAuth: true, allowedHostname: host },
      }, { onTlsReject: (remote, reason) => rejections.push(`${remote} ${reason}`) });
      try {
        const put = (endpoint: string, cert: CertPair | undefined) =>
          etcdctl(endpoint, ["--dial-timeout", "3s", "--command-timeout", "5s", ...tlsFlags(fixtures.ca, cert), "put", "allowed", host]);
        const outcomes = await Promise.all(
          cases.map(async (c) => {
            const [onReal, onOurs] = await Promise.all([put(hostPort(real.clientUrl), c.cert()), put(hostPort(ours.clientUrls[0]!), c.cert())]);
            return { title: c.title, expected: c.accepted[host], real: onReal.code === 0, ours: onOurs.code === 0 };
          }),
        );
        for (const o of outcomes) {
          assert.equal(o.real, o.expected, `etcd 3.4, ${o.title}: ${JSON.stringify(outcomes)}`);
          assert.equal(o.ours, o.expected, `etcd-ts, ${o.title}: ${JSON.stringify(outcomes)}`);
        }
        assert.ok(rejections.some((line) => line.endsWith(" client certificate authentication failed")), rejections.join("\n"));
      } finally {
        await ours.close();
        await real.stop();
      }
    });
  }
});

describe("certificate rotation", { skip, timeout: 120_000 }, () => {
  let etcd: Etcd;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "etcd-rotate-"));
    copyFileSync(fixtures.server.cert, join(dir, "server.pem"));
    copyFileSync(fixtures.server.key, join(dir, "server-key.pem"));
    etcd = await startEtcd({
      listenClientUrls: ["https://127.0.0.1:0"],
      advertiseClientUrls: ["https://127.0.0.1:0"],
      clientTls: { certFile: join(dir, "server.pem"), keyFile: join(dir, "server-key.pem") },
    });
  });
  after(async () => {
    await etcd?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves new certificate files to new connections without a restart", async () => {
    const port = portOf(etcd.clientUrls[0]!);
    const first = await handshake(port, { ca: fixtures.ca });
    assert.ok(first.ok && first.peer.subject.CN === "etcd-ts server");
    const rotated = fixtures.serverCert("server-rotated", "etcd-ts rotated");
    // The key first: until the certificate follows, the pair does not load and the old one serves.
    copyFileSync(rotated.key, join(dir, "server-key.pem"));
    const between = await handshake(port, { ca: fixtures.ca });
    assert.ok(between.ok && between.served, "a half-rotated pair keeps the old one serving");
    copyFileSync(rotated.cert, join(dir, "server.pem"));
    await until("the rotated certificate", async () => {
      const result = await handshake(port, { ca: fixtures.ca });
      return result.ok && result.peer.subject.CN === "etcd-ts rotated";
    });
    const put = await etcdctl(hostPort(etcd.clientUrls[0]!), [...tlsFlags(fixtures.ca), "put", "after-rotation", "ok"]);
    assert.equal(put.code, 0, put.stderr);
  });
});

describe("--cipher-suites", { skip, timeout: 120_000 }, () => {
  let etcd: Etcd;
  before(async () => {
    etcd = await startEtcd({
      listenClientUrls: ["https://127.0.0.1:0"],
      advertiseClientUrls: ["https://127.0.0.1:0"],
      clientTls: { certFile: fixtures.server.cert, keyFile: fixtures.server.key, cipherSuites: ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"] },
    });
  });
  after(() => etcd?.close());

  it("restricts TLS 1.2 to the given suites and leaves TLS 1.3 alone", async () => {
    const port = portOf(etcd.clientUrls[0]!);
    const chosen = await handshake(port, { ca: fixtures.ca, maxVersion: "TLSv1.2" });
    assert.ok(chosen.ok && chosen.cipher === "ECDHE-ECDSA-AES256-GCM-SHA384");
    const other = await handshake(port, { ca: fixtures.ca, maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256" });
    assert.equal(other.ok, false);
    const tls13 = await handshake(port, { ca: fixtures.ca });
    assert.ok(tls13.ok && tls13.protocol === "TLSv1.3");
  });

  it("fails the start on a name etcd does not know", async () => {
    await assert.rejects(
      startEtcd({ listenClientUrls: ["https://127.0.0.1:0"], advertiseClientUrls: ["https://127.0.0.1:0"], clientTls: { certFile: fixtures.server.cert, keyFile: fixtures.server.key, cipherSuites: ["TLS_FOO"] } }),
      { message: 'unexpected TLS cipher suite "TLS_FOO"' },
    );
  });
});

describe("start-up errors (etcd's messages)", { skip, timeout: 60_000 }, () => {
  const start = (clientTls: Partial<ClientTlsConfig>): Promise<Etcd> =>
    startEtcd({ listenClientUrls: ["https://127.0.0.1:0"], advertiseClientUrls: ["https://127.0.0.1:0"], clientTls });

  it("an https URL needs a certificate and a key", async () => {
    await assert.rejects(start({}), { message: "TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:0 with HTTPS scheme" });
    await assert.rejects(start({ certFile: fixtures.server.cert }), { message: `KeyFile and CertFile must both be present[key: , cert: ${fixtures.server.cert}]` });
  });

  it("files that are missing or do not match", async () => {
    await assert.rejects(start({ certFile: "/nonexistent/server.pem", keyFile: fixtures.server.key }), { message: "open /nonexistent/server.pem: no such file or directory" });
    await assert.rejects(start({ certFile: fixtures.server.cert, keyFile: fixtures.client("root").key }), { message: "tls: private key does not match public key" });
    const garbage = join(fixtures.dir, "garbage.pem");
    writeFileSync(garbage, "garbage\n");
    await assert.rejects(start({ certFile: garbage, keyFile: fixtures.server.key }), { message: "tls: failed to find any PEM data in certificate input" });
  });
});

describe("auto TLS", { timeout: 120_000 }, () => {
  it("generates a self-signed certificate into <data-dir>/fixtures/client and keeps it across restarts", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "etcd-autotls-"));
    const options = { dataDir, listenClientUrls: ["https://127.0.0.1:0"], advertiseClientUrls: ["https://127.0.0.1:0"], clientTls: { autoTls: true } };
    const insecure = ["--insecure-transport=false", "--insecure-skip-tls-verify"];
    const certFile = join(dataDir, "fixtures", "client", "cert.pem");
    try {
      let pem: string;
      let etcd = await startEtcd(options);
      try {
        assert.equal(etcd.config.clientTls.certFile, certFile);
        assert.equal(etcd.config.clientTls.keyFile, join(dataDir, "fixtures", "client", "key.pem"));
        pem = readFileSync(certFile, "utf8");
        const put = await etcdctl(hostPort(etcd.clientUrls[0]!), [...insecure, "put", "auto", "tls"]);
        assert.equal(put.code, 0, put.stderr);
        // Its SAN is the listen host, 127.0.0.1; our probe names "localhost", so skip the name check.
        const served = await handshake(portOf(etcd.clientUrls[0]!), { ca: certFile, checkServerIdentity: () => undefined });
        assert.ok(served.ok && served.peer.subject.O === "etcd" && served.served, "the served certificate verifies against itself");
      } finally {
        await etcd.close();
      }
      etcd = await startEtcd(options);
      try {
        assert.equal(readFileSync(certFile, "utf8"), pem, "reused, not regenerated");
        const get = await etcdctl(hostPort(etcd.clientUrls[0]!), [...insecure, "get", "auto", "--print-value-only"]);
        assert.equal(get.stdout, "tls\n");
      } finally {
        await etcd.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
