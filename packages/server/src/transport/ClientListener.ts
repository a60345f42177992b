/**
 * ClientListener: one TCP port serving gRPC (HTTP/2) and HTTP/1.1 (the JSON gateway, /health,
 * /version, /metrics), like etcd's cmux — in cleartext for an `http://` URL, behind TLS for
 * an `https://` one.
 *
 * Cleartext: the first bytes of a connection decide — the HTTP/2 preface (gRPC with prior
 * knowledge, as etcd's clients speak it) goes to the HTTP/2 server, a first line that is an
 * HTTP/1.x request line to HTTP/1; anything else is closed without a reply, as etcd's cmux
 * does (it reads at most 4096 bytes for that line).
 *
 * HTTP/2 limits (hostile clients): streams per connection (`maxConcurrentStreams`: a client
 * that opens more than the limit it acknowledged has its connection failed — nghttp2 calls it
 * a protocol error, node sends GOAWAY(INTERNAL_ERROR) — where grpc-go refuses each extra
 * stream with REFUSED_STREAM, as nghttp2 too does for streams sent before the SETTINGS were
 * acknowledged); header lists up to 16 MiB, as grpc-go takes them, with any number of fields
 * (grpc-go counts no fields); one header field of at most 64 KiB compressed (nghttp2's HPACK
 * limit: more is a GOAWAY(COMPRESSION_ERROR), where etcd takes it); and nghttp2's defences
 * against floods of resets (HTTP/2 "rapid reset"), CONTINUATION frames and invalid frames.
 * Limit of this design: after nghttp2 sends a GOAWAY for a protocol error, node stops reading
 * the connection but does not close it (etcd does); it stays open, idle, until the client
 * closes it — it costs what an idle connection costs.
 *
 * TLS (node:tls, TLS 1.2 at least, the options of a {@link ServerTls}): ALPN decides after
 * the handshake. gRPC clients (grpc-go as in etcdctl, grpc-js) offer only `h2`; HTTP clients
 * (curl, browsers, Go's net/http) offer `http/1.1` too, and get it, since our HTTP/2 side
 * serves gRPC only (etcd would answer them in HTTP/2: same answers, another framing). A
 * client without ALPN is sniffed as in cleartext. With client certificates required, a
 * client without a certificate signed by the trusted CA is refused at the handshake; a
 * revoked one (CRL) right after it. The certificate files are looked at for changes as
 * connections arrive (see ServerTls), so rotating them needs no restart.
 *
 * With `--client-cert-auth`, the verified certificate's Common Name is bound to the
 * connection (see tls/commonName.ts) for the auth of requests that carry no token.
 */
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Session } from "node:http2";
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from "node:net";
import { Server as TlsServer, type TLSSocket } from "node:tls";
import type { Duplex } from "node:stream";
import type { GrpcServer } from "../grpc/GrpcServer.js";
import { bindCommonName, verifiedCommonName } from "../tls/commonName.js";
import type { ServerTls } from "../tls/ServerTls.js";

const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Http1Handler serves the HTTP/1.1 side of the port. */
export type Http1Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** ClientListenerOptions configure one listening URL. */
export interface ClientListenerOptions {
  readonly host: string;
  /** port; 0 picks a free one (see `address()`). */
  readonly port: number;
  readonly grpc: GrpcServer;
  readonly http1: Http1Handler;
  /** maxConcurrentStreams per HTTP/2 connection (etcd: math.MaxUint32 by default; we bound it). */
  readonly maxConcurrentStreams?: number;
  /** holdUntilServe: accept connections from `listen()` on but serve them only after `serve()`. */
  readonly holdUntilServe?: boolean;
  /** tls: serve TLS with these certificates (an `https://` URL); absent: cleartext. */
  readonly tls?: ServerTls;
  /** onTlsReject hears of each connection refused by TLS (failed handshake, revoked certificate). */
  readonly onTlsReject?: (remoteAddress: string, reason: string) => void;
}

/** ClientListener accepts client connections on one address. */
export class ClientListener {
  private readonly tcp: TcpServer;
  private readonly h2: Http2Server;
  private readonly h1;
  private readonly secure: TlsServer | undefined;
  private secureGeneration = 0;
  private readonly sessions = new Set<ServerHttp2Session>();
  private readonly sockets = new Set<Socket>();
  /** Connections accepted before `serve()`: held, unread, until the member is ready. */
  private held: Socket[] | undefined;

  constructor(private readonly options: ClientListenerOptions) {
    this.held = options.holdUntilServe ? [] : undefined;
    this.h2 = createHttp2Server({
      settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 4096, maxHeaderListSize: MAX_HEADER_LIST_SIZE },
      // etcd's requests may be up to --max-request-bytes; keep headers bounded.
      maxSessionMemory: 64,
      // grpc-go counts header bytes, not fields (etcd takes thousands of metadata entries).
      maxHeaderListPairs: MAX_HEADER_LIST_PAIRS,
    });
    this.h2.on("stream", (stream, headers) => options.grpc.handleStream(stream, headers));
    this.h2.on("session", (session) => {
      this.sessions.add(session);
      session.on("close", () => this.sessions.delete(session));
      session.on("error", () => undefined);
      // The session's socket is the TLS socket (behind node's proxy) on an https listener.
      const tls = options.tls;
      if (tls?.clientCertAuth) {
        const commonName = verifiedCommonName(session.socket as TLSSocket);
        if (commonName !== undefined) bindCommonName(session, commonName);
      }
    });
    this.h1 = createHttp1Server(options.http1);
    if (options.tls) {
      const tls = options.tls;
      this.secureGeneration = tls.generation;
      this.secure = new TlsServer({
        ...tls.contextOptions(),
        requestCert: tls.requestCert,
        rejectUnauthorized: true,
        // Prefer HTTP/1.1 when offered: gRPC clients never offer it (see the module comment).
        ALPNCallback: ({ protocols }) => (protocols.includes("http/1.1") ? "http/1.1" : protocols.includes("h2") ? "h2" : undefined),
      });
      this.secure.on("secureConnection", (socket: TLSSocket) => void this.onSecure(socket));
      this.secure.on("tlsClientError", (error: Error, socket: TLSSocket) => {
        options.onTlsReject?.(remote(socket), handshakeError(error));
      });
    }
    this.tcp = createTcpServer((socket) => {
      if (this.held) {
        socket.pause();
        socket.on("error", () => undefined);
        this.held.push(socket);
        this.sockets.add(socket);
        socket.once("close", () => this.sockets.delete(socket));
      } else this.accept(socket);
    });
  }

  /** listen starts accepting; resolves once bound. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.tcp.once("error", reject);
      this.tcp.listen(this.options.port, this.options.host, () => {
        this.tcp.off("error", reject);
        resolve();
      });
    });
  }

  /**
   * serve starts answering: connections accepted since `listen()` (when the port was bound
   * but the member was not ready yet) are served from here on, as etcd serves clients only
   * once the member is ready.
   */
  serve(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const socket of held) if (!socket.destroyed) this.accept(socket);
  }

  /** address is the bound address (the actual port when 0 was asked). */
  address(): AddressInfo {
    return this.tcp.address() as AddressInfo;
  }

  /** close stops accepting, ends HTTP/2 sessions gracefully and destroys what is left. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.tcp.close(() => resolve()));
    for (const session of this.sessions) session.close();
    this.h1.closeAllConnections?.();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Takes a new TCP connection: straight to the protocol sniffing, or through TLS first. */
  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => undefined);
    const tls = this.options.tls;
    const secure = this.secure;
    if (!tls || !secure) {
      this.sniff(socket);
      return;
    }
    // New files since the last connection? Then new connections get them. Until the TLS
    // server takes the socket, its bytes stay buffered (a paused socket is not read).
    socket.pause();
    void tls.refresh().then(() => {
      if (tls.generation !== this.secureGeneration) {
        this.secureGeneration = tls.generation;
        secure.setSecureContext(tls.contextOptions());
      }
      if (!socket.destroyed) secure.emit("connection", socket);
    });
  }

  /** After the handshake: the CRL check, the CN, then HTTP/2 or HTTP/1 by ALPN. */
  private async onSecure(socket: TLSSocket): Promise<void> {
    socket.on("error", () => undefined);
    const tls = this.options.tls!;
    socket.pause();
    const reason = await tls.rejection(socket);
    if (reason !== undefined) {
      this.options.onTlsReject?.(remote(socket), reason);
      socket.destroy();
      return;
    }
    if (socket.destroyed) return;
    if (tls.clientCertAuth) {
      const commonName = verifiedCommonName(socket);
      if (commonName !== undefined) bindCommonName(socket, commonName);
    }
    if (socket.alpnProtocol === "h2") this.h2.emit("connection", socket);
    else if (socket.alpnProtocol === "http/1.1") {
      this.h1.emit("connection", socket);
      socket.resume();
    } else this.sniff(socket);
  }

  /** Sends a connection to the HTTP/2 or the HTTP/1 server by its first bytes (or closes it). */
  private sniff(socket: Socket | TLSSocket): void {
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      seen = Buffer.concat([seen, chunk]);
      const compared = Math.min(seen.length, HTTP2_PREFACE.length);
      const isHttp2 = seen.subarray(0, compared).equals(HTTP2_PREFACE.subarray(0, compared));
      if (isHttp2 && seen.length < HTTP2_PREFACE.length) return; // need more bytes to be sure
      if (!isHttp2) {
        const verdict = isHttp1RequestLine(seen);
        if (verdict === undefined) return; // no whole first line yet
        if (!verdict) {
          socket.destroy();
          return;
        }
      }
      socket.off("data", onData);
      socket.pause();
      socket.unshift(seen);
      // Both servers take bytes already read from the socket: HTTP/1 through the stream,
      // HTTP/2 by feeding its session what is buffered before consuming the handle.
      if (isHttp2) {
        // node's HTTP/2 server treats a TLS socket without ALPN as an HTTP/1 fallback: say h2.
        if ("alpnProtocol" in socket) socket.alpnProtocol = "h2";
        this.h2.emit("connection", socket);
      } else {
        this.h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.resume(); // a held socket was paused
  }
}

/** grpc-go's default limit on a request's header list (16 MiB). */
const MAX_HEADER_LIST_SIZE = 16 * 1024 * 1024;
/** Header fields per request: far above what 16 MiB of HPACK-coded fields would reach in practice. */
const MAX_HEADER_LIST_PAIRS = 100_000;
/** The most bytes etcd's cmux reads looking for an HTTP/1 request line. */
const MAX_REQUEST_LINE_BYTES = 4096;

/**
 * isHttp1RequestLine is cmux's HTTP1() matcher: the first line (up to 4096 bytes) must be
 * `METHOD URI HTTP/1.x`. Undefined while the line is incomplete.
 */
export function isHttp1RequestLine(bytes: Buffer): boolean | undefined {
  const newline = bytes.indexOf(0x0a);
  if (newline < 0 || newline >= MAX_REQUEST_LINE_BYTES) return bytes.length >= MAX_REQUEST_LINE_BYTES ? false : undefined;
  const line = bytes.toString("latin1", 0, newline > 0 && bytes[newline - 1] === 0x0d ? newline - 1 : newline);
  const first = line.indexOf(" ");
  const second = first < 0 ? -1 : line.indexOf(" ", first + 1);
  if (second < 0) return false;
  const proto = line.slice(second + 1);
  if (proto === "HTTP/1.1" || proto === "HTTP/1.0") return true;
  // Go's http.ParseHTTPVersion, major version 1.
  const match = /^HTTP\/([+-]?\d+)\.([+-]?\d+)$/.exec(proto);
  return match !== null && Number(match[1]) === 1 && Number(match[2]) >= 0 && Number(match[2]) <= 1_000_000;
}

/** OpenSSL's reasons for the usual refusals, in Go's words (etcd logs those). */
const GO_HANDSHAKE_ERRORS: Readonly<Record<string, string>> = {
  "peer did not return a certificate": "tls: client didn't provide a certificate",
  "http request": "tls: first record does not look like a TLS handshake",
  "wrong version number": "tls: first record does not look like a TLS handshake",
};

/** handshakeError words a failed handshake: Go's text when we know it, else OpenSSL's reason. */
function handshakeError(error: Error): string {
  const reason = (error as { reason?: unknown }).reason;
  if (typeof reason !== "string") return error.message;
  return GO_HANDSHAKE_ERRORS[reason] ?? `tls: ${reason}`;
}

function remote(socket: Duplex & { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return `${socket.remoteAddress ?? "unknown"}:${socket.remotePort ?? 0}`;
}
