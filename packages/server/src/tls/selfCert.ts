/**
 * selfCert: the self-signed certificate of `--auto-tls`, made as etcd 3.4 makes it
 * (`transport.SelfCert`): an ECDSA P-521 key, a certificate signed with it (ECDSA-SHA512),
 * subject and issuer `O=etcd`, a random 128-bit serial, valid for one year from now, key
 * usage digitalSignature + keyEncipherment, extended key usage serverAuth, not a CA, and the
 * listen URLs' hosts as subject alternative names (IPs as IP addresses, others as DNS names).
 *
 * Written into `<data-dir>/fixtures/client/{cert.pem,key.pem}` (directories 0700, key 0600);
 * files already there are reused, as etcd reuses them across restarts.
 *
 * The certificate is built with our DER writer and node:crypto — no openssl process, no
 * dependency. Clients cannot verify it (nothing signed it): they skip verification
 * (`etcdctl --insecure-skip-tls-verify`), which is what etcd's auto TLS is for.
 */
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { access, mkdir, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { bitString, explicit, implicitPrimitive, integer, octetString, oid, pem, printableOrUtf8, sequence, set, time } from "./der.js";

/** SelfCertOptions shape one generated certificate. */
export interface SelfCertOptions {
  /** hosts go into subjectAltName: IP literals as IP addresses, other names as DNS names. */
  readonly hosts: readonly string[];
  /** now is the start of validity (default: the current time). */
  readonly now?: Date;
  /** validDays is how long it is valid (etcd: 365). */
  readonly validDays?: number;
}

/** SelfCert is a PEM certificate and its PEM (SEC 1, "EC PRIVATE KEY") private key. */
export interface SelfCert {
  readonly certPem: string;
  readonly keyPem: string;
}

const OID_ECDSA_WITH_SHA512 = "1.2.840.10045.4.3.4";
const OID_ORGANIZATION = "2.5.4.10";
const OID_KEY_USAGE = "2.5.29.15";
const OID_EXT_KEY_USAGE = "2.5.29.37";
const OID_BASIC_CONSTRAINTS = "2.5.29.19";
const OID_SUBJECT_ALT_NAME = "2.5.29.17";
const OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const DER_TRUE = Buffer.from([0x01, 0x01, 0xff]);
const DAY_MS = 24 * 60 * 60 * 1000;

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [DER_TRUE] : []), octetString(value));
}

/** ipBytes returns the 4 or 16 bytes of an IP literal. */
export function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split(".").map(Number));
  if (isIP(address) !== 6) throw new Error(`not an IP address: ${address}`);
  let text = address.replace(/%.*$/, "");
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill("0");
  const out = Buffer.alloc(16);
  [...headGroups, ...zeros, ...tailGroups].forEach((group, i) => out.writeUInt16BE(parseInt(group, 16), i * 2));
  return out;
}

/** selfSignedCert makes a certificate and key as etcd's auto TLS does (see the module comment). */
export function selfSignedCert(options: SelfCertOptions): SelfCert {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-521" });
  const notBefore = options.now ?? new Date();
  const notAfter = new Date(notBefore.getTime() + (options.validDays ?? 365) * DAY_MS);
  const serial = randomBytes(16);
  const name = sequence(set(sequence(oid(OID_ORGANIZATION), printableOrUtf8("etcd"))));
  const algorithm = sequence(oid(OID_ECDSA_WITH_SHA512));

  const dnsNames: Buffer[] = [];
  const ipAddresses: Buffer[] = [];
  for (const host of new Set(options.hosts)) {
    if (isIP(host) !== 0) ipAddresses.push(implicitPrimitive(7, ipBytes(host)));
    else if (host !== "") dnsNames.push(implicitPrimitive(2, Buffer.from(host, "ascii")));
  }
  const extensions = [
    // digitalSignature (bit 0) + keyEncipherment (bit 2): 0b101 followed by 5 unused bits.
    extension(OID_KEY_USAGE, true, bitString(Buffer.from([0xa0]), 5)),
    extension(OID_EXT_KEY_USAGE, false, sequence(oid(OID_SERVER_AUTH))),
    extension(OID_BASIC_CONSTRAINTS, true, sequence()),
  ];
  if (dnsNames.length + ipAddresses.length > 0) extensions.push(extension(OID_SUBJECT_ALT_NAME, false, sequence(...dnsNames, ...ipAddresses)));

  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(serial),
    algorithm,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    explicit(3, sequence(...extensions)),
  );
  const signature = sign("sha512", tbs, { key: privateKey, dsaEncoding: "der" });
  const certificate = sequence(tbs, algorithm, bitString(signature));
  return {
    certPem: pem("CERTIFICATE", certificate),
    keyPem: privateKey.export({ type: "sec1", format: "pem" }).toString(),
  };
}

/** SelfCertFiles are the paths of a generated (or reused) certificate and key. */
export interface SelfCertFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * ensureSelfCert returns `dir/cert.pem` and `dir/key.pem`, generating them first unless both
 * exist (etcd keeps its auto-TLS certificate across restarts).
 */
export async function ensureSelfCert(dir: string, hosts: readonly string[]): Promise<SelfCertFiles> {
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await exists(certFile)) && (await exists(keyFile))) return { certFile, keyFile };
  const made = selfSignedCert({ hosts });
  await writeFile(certFile, made.certPem, { mode: 0o644 });
  await writeFile(keyFile, made.keyPem, { mode: 0o600 });
  return { certFile, keyFile };
}
