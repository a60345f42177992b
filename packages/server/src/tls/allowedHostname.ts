/**
 * allowedHostname: `--client-cert-allowed-hostname` — a client certificate is accepted only if
 * it is valid for that host name, as Go's `x509.Certificate.VerifyHostname` decides (what
 * etcd calls on the first verified chain's leaf): an IP address matches the IP SANs, a name
 * matches the DNS SANs (case-insensitively, a trailing dot ignored, `*` standing for one whole
 * left-most label). Unlike node's `checkServerIdentity`, the Common Name never stands in for a
 * missing SAN: Go stopped doing that in 1.15, and etcd 3.4.23 is built with a later Go.
 */
import { isIP } from "node:net";
import type { PeerCertificate } from "node:tls";

/** ALLOWED_HOSTNAME_REJECTION is etcd's reason for a refused certificate (its log's `error`). */
export const ALLOWED_HOSTNAME_REJECTION = "client certificate authentication failed";

/** canonicalIp writes an address one way, so that `::1` and `0:0:0:0:0:0:0:1` compare equal. */
function canonicalIp(address: string): string {
  return isIP(address) === 6 ? new URL(`http://[${address}]/`).hostname : address;
}

/** sanEntries splits node's `subjectaltname` ("DNS:a, IP Address:1.2.3.4") by kind. */
function sanEntries(cert: PeerCertificate): { dns: string[]; ips: string[] } {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const entry of (cert.subjectaltname ?? "").split(", ")) {
    if (entry.startsWith("DNS:")) dns.push(entry.slice(4));
    else if (entry.startsWith("IP Address:")) ips.push(canonicalIp(entry.slice(11)));
  }
  return { dns, ips };
}

/** dnsNameMatches compares a SAN pattern with a host name, label by label. */
function dnsNameMatches(pattern: string, host: string): boolean {
  const patternLabels = pattern.toLowerCase().replace(/\.$/, "").split(".");
  const hostLabels = host.split(".");
  if (patternLabels.length !== hostLabels.length) return false;
  return patternLabels.every((label, i) => (i === 0 && label === "*") || label === hostLabels[i]);
}

/** certificateAllowsHost tells whether `cert` is valid for `hostname`, as Go's VerifyHostname. */
export function certificateAllowsHost(cert: PeerCertificate, hostname: string): boolean {
  const { dns, ips } = sanEntries(cert);
  const bare = hostname.replace(/^\[|\]$/g, "");
  if (isIP(bare) !== 0) return ips.includes(canonicalIp(bare));
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return host !== "" && dns.some((pattern) => dnsNameMatches(pattern, host));
}

/**
 * allowedHostnameRejection applies the check to a connection's verified client certificate:
 * undefined to accept, else etcd's reason. A client without a certificate is refused, and so
 * is one without a Common Name and SANs (both checked against etcd 3.4.23).
 */
export function allowedHostnameRejection(cert: PeerCertificate | undefined, hostname: string): string | undefined {
  if (cert === undefined) return ALLOWED_HOSTNAME_REJECTION;
  return certificateAllowsHost(cert, hostname) ? undefined : ALLOWED_HOSTNAME_REJECTION;
}
