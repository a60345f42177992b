/**
 * Client-side helpers for the TLS tests: HTTPS requests with a CA and an optional client
 * certificate (node:https, HTTP/1.1 as curl would negotiate it), bare TLS handshakes that
 * report what was negotiated or why it failed, and etcdctl's TLS flags.
 */
import { readFileSync } from "node:fs";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { connect, type ConnectionOptions, type PeerCertificate } from "node:tls";
import type { CertPair } from "@etcd-ts/testkit";

/** HttpsResult is a response's status, headers and body. */
export interface HttpsResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** TlsClientOptions: the CA to trust and the certificate to present. */
export interface TlsClientOptions {
  readonly ca?: string;
  readonly client?: CertPair;
}

function secureOptions(options: TlsClientOptions): ConnectionOptions {
  return {
    ...(options.ca === undefined ? {} : { ca: readFileSync(options.ca) }),
    ...(options.client === undefined ? {} : { cert: readFileSync(options.client.cert), key: readFileSync(options.client.key) }),
  };
}

/** https makes one request (a fresh connection each time: new handshakes see reloaded files). */
export function https(url: string, options: TlsClientOptions & { method?: string; body?: string; alpn?: string[] } = {}): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    // node:https speaks HTTP/1.1 only: offer just that unless told (it passes ALPNProtocols on to tls.connect).
    const requestOptions: RequestOptions & { ALPNProtocols?: string[] } = { ...secureOptions(options), method: options.method ?? "GET", agent: false, ALPNProtocols: options.alpn ?? ["http/1.1"] };
    const request = httpsRequest(url, requestOptions, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(options.body);
  });
}

/** HandshakeResult is what a bare TLS connection saw. */
export type HandshakeResult =
  | { readonly ok: true; readonly protocol: string | null; readonly alpn: string | false | null; readonly cipher: string; readonly peer: PeerCertificate; readonly served: boolean }
  | { readonly ok: false; readonly error: string };

/**
 * handshake connects and asks `GET /version` in HTTP/1.1 (ALPN `http/1.1` unless told
 * otherwise): `served` says whether an answer came. A server that refuses the client after
 * the handshake (TLS 1.3 sends its verdict on the client certificate late; a revoked
 * certificate is refused after the handshake) closes the connection instead.
 */
export function handshake(port: number, options: TlsClientOptions & Omit<ConnectionOptions, "ca" | "cert" | "key"> = {}): Promise<HandshakeResult> {
  const { ca: _ca, client: _client, ...rest } = options;
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, servername: "localhost", ALPNProtocols: ["http/1.1"], ...secureOptions(options), ...rest });
    let secured = false;
    let settled = false;
    let answer = "";
    const done = (result: HandshakeResult): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(result);
    };
    socket.on("secureConnect", () => {
      secured = true;
      const info = { ok: true as const, protocol: socket.getProtocol(), alpn: socket.alpnProtocol, cipher: socket.getCipher().name, peer: socket.getPeerCertificate() };
      socket.on("data", (chunk: Buffer) => {
        answer += chunk.toString();
        if (answer.includes("etcdserver")) done({ ...info, served: true });
      });
      socket.once("close", () => done({ ...info, served: answer.includes("etcdserver") }));
      socket.write("GET /version HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    });
    socket.on("error", (error: Error) => {
      if (!secured) done({ ok: false, error: error.message });
    });
    socket.on("close", () => {
      if (!secured) done({ ok: false, error: "closed" });
    });
  });
}

/** refused says whether a handshake result means the server would not talk to this client. */
export function refused(result: HandshakeResult): boolean {
  return !result.ok || !result.served;
}

/** tlsFlags are etcdctl's flags for a CA and an optional client certificate. */
export function tlsFlags(ca: string, client?: CertPair): string[] {
  return ["--cacert", ca, ...(client ? ["--cert", client.cert, "--key", client.key] : [])];
}
