/**
 * Test certificates made with the `openssl` command: a CA, a server certificate for
 * 127.0.0.1 and localhost, and a client certificate, all signed by the CA; plus a second,
 * unrelated CA. ECDSA P-256 keys (fast to make). `makeCerts` returns undefined when openssl
 * is not installed, so a test can skip.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerTls } from "./servers.js";

/** TestCerts: the files for a server, and the PEM contents a client needs. */
export interface TestCerts extends ServerTls {
  readonly dir: string;
  readonly ca: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** otherCa is a CA that signed none of these. */
  readonly otherCa: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** makeCerts writes a fresh set of certificates into a temporary directory. */
export async function makeCerts(): Promise<TestCerts | undefined> {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), "client-test-certs-"));
  const key = (name: string): void => openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`]);
  const selfSigned = (name: string): void => {
    key(name);
    openssl(dir, ["req", "-x509", "-new", "-key", `${name}.key`, "-subj", `/CN=${name}`, "-days", "2", "-out", `${name}.crt`]);
  };
  const signed = (name: string, ext: string): void => {
    key(name);
    openssl(dir, ["req", "-new", "-key", `${name}.key`, "-subj", `/CN=${name}`, "-out", `${name}.csr`]);
    openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", `${name}.crt`]);
  };
  selfSigned("ca");
  selfSigned("other-ca");
  await writeFile(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
  await writeFile(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  signed("server", "server.ext");
  signed("client", "client.ext");
  const read = (name: string): Promise<string> => readFile(join(dir, name), "utf8");
  return {
    dir,
    certFile: join(dir, "server.crt"),
    keyFile: join(dir, "server.key"),
    caFile: join(dir, "ca.crt"),
    clientCertFile: join(dir, "client.crt"),
    clientKeyFile: join(dir, "client.key"),
    ca: await read("ca.crt"),
    clientCert: await read("client.crt"),
    clientKey: await read("client.key"),
    otherCa: await read("other-ca.crt"),
  };
}
