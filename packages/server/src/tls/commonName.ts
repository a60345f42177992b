/**
 * commonName: the Common Name of a verified client certificate, carried from the TLS
 * connection to the request — etcd's `AuthInfoFromTLS`.
 *
 * With `--client-cert-auth`, a request that carries no auth token is made as the user named
 * by the client certificate's CN (a token, when present, wins). The listener binds the CN to
 * what it hands on (the TLS socket of an HTTP/1 connection, the HTTP/2 session); the gRPC
 * server binds it to each call's metadata object, which is what the auth lookup sees. The
 * binding lives in a WeakMap, so it cannot be forged by a header and goes away with its
 * holder. Nothing is bound without `--client-cert-auth`, as etcd ignores the CN then.
 */
import type { TLSSocket } from "node:tls";

const commonNames = new WeakMap<object, string>();

/** bindCommonName records the CN of the verified client certificate behind `holder`. */
export function bindCommonName(holder: object, commonName: string): void {
  commonNames.set(holder, commonName);
}

/** boundCommonName is the CN bound to `holder`, if any. */
export function boundCommonName(holder: object): string | undefined {
  return commonNames.get(holder);
}

/**
 * verifiedCommonName reads the CN of a TLS peer's certificate when the handshake verified it
 * against the trusted CA; undefined otherwise, or when the subject has no CN (Go: the last
 * CN attribute wins when there are several).
 */
export function verifiedCommonName(socket: Pick<TLSSocket, "authorized" | "getPeerCertificate">): string | undefined {
  if (!socket.authorized) return undefined;
  const subject = socket.getPeerCertificate().subject as Record<string, string | string[] | undefined> | undefined;
  const cn = subject?.["CN"];
  const value = Array.isArray(cn) ? cn[cn.length - 1] : cn;
  return value === undefined || value === "" ? undefined : value;
}
