/**
 * crl: `--client-crl-file` — the serial numbers a certificate revocation list revokes.
 *
 * etcd's check is by serial only (`transport.checkCRL`): a client whose certificate chain
 * holds a serial listed in the file is refused after the handshake; the CRL's issuer,
 * signature and dates are not looked at. We do the same (OpenSSL's own CRL check would
 * also demand a CRL for every CA of the chain and refuse everything once the CRL expires).
 * The file is PEM (`X509 CRL`, the first block) or DER, as Go's `x509.ParseCRL` reads it.
 */
import { children, DerTag, pemBlocks, readTlv } from "./der.js";

/** normalizeSerial writes a serial (hex, any case, leading zeros or not) as etcd prints it: lower-case hex of its minimal bytes. */
export function normalizeSerial(hex: string): string {
  const digits = hex.toLowerCase().replace(/[^0-9a-f]/g, "").replace(/^0+/, "");
  return digits.length % 2 === 0 ? digits : `0${digits}`;
}

/** revokedSerials returns the revoked serials of a CRL (normalized, see {@link normalizeSerial}); throws on a malformed file. */
export function revokedSerials(data: Buffer): Set<string> {
  let der = data;
  const text = data.subarray(0, 64).toString("latin1");
  if (text.includes("-----BEGIN")) {
    const block = pemBlocks(data.toString("latin1"), "X509 CRL")[0];
    if (!block) throw new Error("x509: no X509 CRL PEM block");
    der = block;
  }
  const certList = readTlv(der);
  if (certList.tag !== DerTag.SEQUENCE) throw new Error("x509: malformed crl");
  const tbs = children(certList.contents)[0];
  if (!tbs || tbs.tag !== DerTag.SEQUENCE) throw new Error("x509: malformed tbs crl");
  const fields = children(tbs.contents);
  let i = 0;
  if (fields[i]?.tag === DerTag.INTEGER) i++; // version
  i += 3; // signature algorithm, issuer, thisUpdate
  if (fields[i]?.tag === DerTag.UTC_TIME || fields[i]?.tag === DerTag.GENERALIZED_TIME) i++; // nextUpdate
  const revoked = new Set<string>();
  const list = fields[i];
  if (list?.tag !== DerTag.SEQUENCE) return revoked; // no revokedCertificates
  for (const entry of children(list.contents)) {
    const serial = children(entry.contents)[0];
    if (entry.tag !== DerTag.SEQUENCE || serial?.tag !== DerTag.INTEGER) throw new Error("x509: malformed crl entry");
    revoked.add(normalizeSerial(serial.contents.toString("hex")));
  }
  return revoked;
}
