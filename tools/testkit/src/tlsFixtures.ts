/**
 * TLS fixtures for tests, made with the `openssl` CLI (OpenSSL 3) in a temporary directory:
 * a CA, a server certificate for 127.0.0.1 and localhost, client certificates by Common
 * Name, certificate revocation lists, and a second server certificate for rotation tests.
 * The commands are the ones apps/etcd/README.md shows users.
 *
 * EC P-256 keys throughout: generated in milliseconds, so each suite makes its own.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** CertPair is a PEM certificate file and its PEM key file. */
export interface CertPair {
  readonly cert: string;
  readonly key: string;
}

/** TlsFixtures are the files of one CA and what it issued. */
export interface TlsFixtures {
  readonly dir: string;
  /** ca is the CA certificate (`--trusted-ca-file`, `etcdctl --cacert`). */
  readonly ca: string;
  /** server: CN "etcd-ts server", SAN IP 127.0.0.1 and DNS localhost. */
  readonly server: CertPair;
  /**
   * client issues a client certificate with this Common Name and, if given, a subjectAltName
   * in openssl's syntax (`DNS:*.example.com,IP:127.0.0.1`); cached per name and SAN.
   */
  client(commonName: string, subjectAltName?: string): CertPair;
  /** serverCert issues another server certificate (rotation), files named after `name`. */
  serverCert(name: string, commonName?: string): CertPair;
  /** crl writes a CRL revoking these certificates (paths), signed by the CA; returns its path. */
  crl(name: string, revoked: readonly string[]): string;
  /** remove deletes the directory. */
  remove(): void;
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** opensslAvailable says whether the `openssl` CLI runs here. */
export function opensslAvailable(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** makeTlsFixtures creates a CA, a server certificate and the helpers above in a new temp dir. */
export function makeTlsFixtures(): TlsFixtures {
  const dir = mkdtempSync(join(tmpdir(), "etcd-tls-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(dir, ["req", "-x509", ...ec, "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "3650", "-subj", "/CN=etcd-ts test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);

  const issue = (name: string, subject: string, extensions: string): CertPair => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(dir, ["req", ...ec, "-keyout", `${name}-key.pem`, "-out", `${name}.csr`, "-subj", subject]);
    openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", `${name}.pem`, "-days", "365", "-extfile", `${name}.ext`]);
    return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) };
  };
  const serverCert = (name: string, commonName = "etcd-ts server"): CertPair =>
    issue(name, `/CN=${commonName}`, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
  const clients = new Map<string, CertPair>();

  return {
    dir,
    ca: join(dir, "ca.pem"),
    server: serverCert("server"),
    client(commonName, subjectAltName) {
      const key = subjectAltName === undefined ? commonName : `${commonName} ${subjectAltName}`;
      let pair = clients.get(key);
      if (!pair) {
        const name = subjectAltName === undefined ? `client-${commonName}` : `client-${commonName}-san${clients.size}`;
        const extensions = `${subjectAltName === undefined ? "" : `subjectAltName=${subjectAltName}\n`}extendedKeyUsage=clientAuth\n`;
        pair = issue(name, `/CN=${commonName}`, extensions);
        clients.set(key, pair);
      }
      return pair;
    },
    serverCert,
    crl(name, revoked) {
      const caDir = join(dir, `crl-${name}`);
      mkdirSync(caDir, { recursive: true });
      writeFileSync(join(caDir, "index.txt"), "");
      writeFileSync(join(caDir, "crlnumber"), "1000\n");
      writeFileSync(join(caDir, "ca.cnf"), "[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n");
      for (const cert of revoked) openssl(caDir, ["ca", "-config", "ca.cnf", "-revoke", cert, "-keyfile", join(dir, "ca-key.pem"), "-cert", join(dir, "ca.pem")]);
      const out = join(dir, `${name}.crl.pem`);
      openssl(caDir, ["ca", "-config", "ca.cnf", "-gencrl", "-keyfile", join(dir, "ca-key.pem"), "-cert", join(dir, "ca.pem"), "-out", out]);
      return out;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** readPem reads a fixture file as text (for grpc-js / node:https options). */
export function readPem(path: string): Buffer {
  return readFileSync(path);
}
