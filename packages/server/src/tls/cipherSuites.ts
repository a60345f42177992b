/**
 * cipherSuites: `--cipher-suites` — etcd's (Go's) cipher suite names, turned into the
 * OpenSSL cipher list node:tls takes.
 *
 * etcd 3.4.23 accepts exactly the names below (checked against the binary: any other name,
 * a lower-cased one, a name with a space after the comma or an empty one stops the start
 * with `unexpected TLS cipher suite "<name>"`). As in Go, the list restricts TLS 1.2 only:
 * TLS 1.3 suites are not configurable, so the TLS 1.3 names are accepted and change nothing,
 * and TLS 1.3 stays on with its three suites.
 *
 * One difference: Go still implements the RC4 and 3DES suites; OpenSSL 3 as Node ships it
 * does not. Such names are accepted and left out of the list; a list of nothing else fails
 * at start (rather than silently serving other suites).
 */
import { getCiphers } from "node:tls";

/** GO_CIPHER_SUITES maps each name etcd accepts to OpenSSL's name (undefined: a TLS 1.3 suite). */
export const GO_CIPHER_SUITES: ReadonlyMap<string, string | undefined> = new Map([
  ["TLS_RSA_WITH_RC4_128_SHA", "RC4-SHA"],
  ["TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA"],
  ["TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"],
  ["TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"],
  ["TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256"],
  ["TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"],
  ["TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"],
  ["TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "ECDHE-ECDSA-RC4-SHA"],
  ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"],
  ["TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"],
  ["TLS_ECDHE_RSA_WITH_RC4_128_SHA", "ECDHE-RSA-RC4-SHA"],
  ["TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA"],
  ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"],
  ["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"],
  ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256"],
  ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256"],
  ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"],
  ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"],
  ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"],
  ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"],
  ["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"],
  ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "ECDHE-ECDSA-CHACHA20-POLY1305"],
  ["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"],
  ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"],
  ["TLS_AES_128_GCM_SHA256", undefined],
  ["TLS_AES_256_GCM_SHA384", undefined],
  ["TLS_CHACHA20_POLY1305_SHA256", undefined],
]);

/** TLS13_SUITES are the TLS 1.3 suites Go always offers, in OpenSSL's naming. */
const TLS13_SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];

/**
 * opensslCiphers returns the `ciphers` option for node:tls — undefined for an empty list
 * (node's defaults) — or throws etcd's `unexpected TLS cipher suite "<name>"`.
 */
export function opensslCiphers(goNames: readonly string[]): string | undefined {
  if (goNames.length === 0) return undefined;
  const available = new Set(getCiphers());
  const tls12: string[] = [];
  const missing: string[] = [];
  for (const name of goNames) {
    if (!GO_CIPHER_SUITES.has(name)) throw new Error(`unexpected TLS cipher suite ${JSON.stringify(name)}`);
    const openssl = GO_CIPHER_SUITES.get(name);
    if (openssl === undefined) continue;
    if (!available.has(openssl.toLowerCase())) missing.push(name);
    else if (!tls12.includes(openssl)) tls12.push(openssl);
  }
  if (tls12.length === 0 && missing.length > 0) {
    throw new Error(`TLS cipher suites ${missing.map((name) => JSON.stringify(name)).join(", ")} are not available in Node's OpenSSL ${process.versions.openssl}`);
  }
  // Only TLS 1.3 names: no TLS 1.2 suite is left, so only TLS 1.3 handshakes succeed (as in Go).
  return [...TLS13_SUITES, ...tls12].join(":");
}
