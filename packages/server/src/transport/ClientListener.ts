/**
 * ClientListener: one TCP port serving gRPC (HTTP/2 with prior knowledge, as etcd's clients
 * speak it in cleartext) and plain HTTP/1.1 (the JSON gateway, /health, /version, /metrics),
 * like etcd's cmux: the first bytes of a connection decide which server gets it.
 *
 * Not here yet: TLS (issue #11) — an https URL will put a TLS server in front with ALPN.
 */
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Session } from "node:http2";
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from "node:net";
import type { GrpcServer } from "../grpc/GrpcServer.js";

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
}

/** ClientListener accepts client connections on one address. */
export class ClientListener {
  private readonly tcp: TcpServer;
  private readonly h2: Http2Server;
  private readonly h1;
  private readonly sessions = new Set<ServerHttp2Session>();
  private readonly sockets = new Set<Socket>();
  /** Connections accepted before `serve()`: held, unread, until the member is ready. */
  private held: Socket[] | undefined;

  constructor(private readonly options: ClientListenerOptions) {
    this.held = options.holdUntilServe ? [] : undefined;
    this.h2 = createHttp2Server({
      settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 4096 },
      // etcd's requests may be up to --max-request-bytes; keep headers bounded.
      maxSessionMemory: 64,
    });
    this.h2.on("stream", (stream, headers) => options.grpc.handleStream(stream, headers));
    this.h2.on("session", (session) => {
      this.sessions.add(session);
      session.on("close", () => this.sessions.delete(session));
      session.on("error", () => undefined);
    });
    this.h1 = createHttp1Server(options.http1);
    this.tcp = createTcpServer((socket) => {
      if (this.held) {
        socket.pause();
        socket.on("error", () => undefined);
        this.held.push(socket);
        this.sockets.add(socket);
        socket.once("close", () => this.sockets.delete(socket));
      } else this.route(socket);
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
    for (const socket of held) if (!socket.destroyed) this.route(socket);
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

  /** Sends a connection to the HTTP/2 or the HTTP/1 server by its first bytes. */
  private route(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => undefined);
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      seen = Buffer.concat([seen, chunk]);
      const compared = Math.min(seen.length, HTTP2_PREFACE.length);
      const isHttp2 = seen.subarray(0, compared).equals(HTTP2_PREFACE.subarray(0, compared));
      if (isHttp2 && seen.length < HTTP2_PREFACE.length) return; // need more bytes to be sure
      socket.off("data", onData);
      socket.pause();
      socket.unshift(seen);
      // Both servers take bytes already read from the socket: HTTP/1 through the stream,
      // HTTP/2 by feeding its session what is buffered before consuming the handle.
      if (isHttp2) this.h2.emit("connection", socket);
      else {
        this.h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.resume(); // a held socket was paused
  }
}
