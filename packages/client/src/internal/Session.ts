/**
 * Session: one HTTP/2 session (node:http2) to an endpoint, and its keepalive. A Connection
 * owns its sessions: the current one, and retired ones still finishing their calls.
 *
 * A session is connected once the server's SETTINGS frame arrived; a dial that does not get
 * there within `dialTimeoutMs` is dropped. While it has calls open and nothing was received
 * for `keepAliveTimeMs`, it sends an HTTP/2 PING; a ping unanswered within
 * `keepAliveTimeoutMs` drops the session, so its calls fail with UNAVAILABLE (a silent peer:
 * a partition, a frozen process). Which session takes new calls is the Connection's business.
 */
import * as http2 from "node:http2";
import { isIP } from "node:net";
import type { ConnectionOptions } from "./ConnectionOptions.js";

/** The stream flow-control window the client offers (the server may send this much ahead per call). */
const STREAM_WINDOW = 4 * 1024 * 1024;
/** The connection-wide window. */
const SESSION_WINDOW = 32 * 1024 * 1024;

const toBuffer = (v: Uint8Array | string): Buffer => (typeof v === "string" ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength));

/** hostOf returns the host of `host:port` or `[v6]:port`. */
function hostOf(address: string): string {
  const match = /^\[?(.*?)\]?:\d+$/.exec(address);
  return match === null ? address : match[1]!;
}

/** Session is one HTTP/2 session and its keepalive; see the module comment. */
export class Session {
  readonly h2: http2.ClientHttp2Session;
  connected = false;
  /** refusedAbove is the last stream ID the server said (GOAWAY) it will process. */
  refusedAbove = Infinity;
  /** lostReason is why the session was dropped, once it was. */
  lostReason: string | undefined;
  /** active counts the calls open on the session. */
  private active = 0;
  /** activity changes whenever something is received; keepalive pings only when it did not. */
  activity = 0;
  private seenActivity = 0;
  private dialTimer: NodeJS.Timeout | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: ConnectionOptions,
    onConnect: (session: Session) => void,
    onGoaway: (session: Session) => void,
    onGone: (session: Session) => void,
  ) {
    const { endpoint, tls } = options;
    const secure = endpoint.secure || tls !== undefined;
    const sessionOptions: http2.SecureClientSessionOptions = { settings: { enablePush: false, initialWindowSize: STREAM_WINDOW } };
    if (secure) {
      sessionOptions.ALPNProtocols = ["h2"];
      if (tls?.ca !== undefined) sessionOptions.ca = toBuffer(tls.ca);
      if (tls?.cert !== undefined) sessionOptions.cert = toBuffer(tls.cert);
      if (tls?.key !== undefined) sessionOptions.key = toBuffer(tls.key);
      const host = hostOf(endpoint.address);
      const servername = tls?.servername ?? (isIP(host) === 0 ? host : undefined);
      if (servername !== undefined) sessionOptions.servername = servername;
    }
    const h2 = http2.connect(`${secure ? "https" : "http"}://${endpoint.address}`, sessionOptions);
    this.h2 = h2;
    this.dialTimer = setTimeout(() => {
      this.dialTimer = undefined;
      this.drop(`no connection within ${options.dialTimeoutMs} ms`);
    }, options.dialTimeoutMs);
    h2.once("connect", () => {
      try {
        h2.setLocalWindowSize(SESSION_WINDOW);
      } catch {
        // a session destroyed meanwhile: its close handler reports it
      }
    });
    // Connected means the server's HTTP/2 SETTINGS arrived, not just the socket (or the TLS
    // handshake, which under TLS 1.3 ends on the client's side before the server has checked
    // the client's certificate): a call is then never sent to a server that will not take it.
    h2.once("remoteSettings", () => {
      clearTimeout(this.dialTimer);
      this.dialTimer = undefined;
      this.connected = true;
      onConnect(this);
    });
    h2.on("error", (err: Error) => {
      this.lostReason ??= err.message;
    });
    h2.on("goaway", (errorCode: number, lastStreamID: number) => {
      this.refusedAbove = Math.min(this.refusedAbove, lastStreamID);
      this.lostReason ??= `the server sent GOAWAY (code ${errorCode})`;
      onGoaway(this);
    });
    h2.once("close", () => {
      this.lostReason ??= "connection closed";
      this.stopTimers();
      onGone(this);
    });
  }

  /** callStarted counts a new call and starts keepalive with the first one. */
  callStarted(): void {
    if (this.active++ === 0 && this.keepAliveTimer === undefined && this.pingTimer === undefined) this.armKeepAlive();
  }

  /** callEnded counts a call out. */
  callEnded(): void {
    this.active--;
    this.activity++;
  }

  /** drop destroys the session, failing its calls with UNAVAILABLE (`reason`). */
  drop(reason: string): void {
    this.lostReason ??= reason;
    this.h2.destroy();
  }

  private armKeepAlive(): void {
    if (this.options.keepAliveTimeMs <= 0 || this.h2.destroyed) return;
    this.seenActivity = this.activity;
    this.keepAliveTimer = setTimeout(() => this.onKeepAliveTimer(), this.options.keepAliveTimeMs);
    this.keepAliveTimer.unref();
  }

  private onKeepAliveTimer(): void {
    this.keepAliveTimer = undefined;
    if (this.h2.destroyed || this.active === 0) return;
    if (this.activity !== this.seenActivity) {
      this.armKeepAlive();
      return;
    }
    let sent: boolean;
    try {
      sent = this.h2.ping((err) => {
        clearTimeout(this.pingTimer);
        this.pingTimer = undefined;
        if (err !== null) return;
        this.activity++;
        if (this.active > 0) this.armKeepAlive();
      });
    } catch {
      sent = false;
    }
    if (!sent) {
      this.armKeepAlive();
      return;
    }
    const timeout = this.options.keepAliveTimeoutMs;
    this.pingTimer = setTimeout(() => {
      this.pingTimer = undefined;
      this.drop(`keepalive ping not answered within ${timeout} ms`);
    }, timeout);
    this.pingTimer.unref();
  }

  private stopTimers(): void {
    clearTimeout(this.dialTimer);
    clearTimeout(this.keepAliveTimer);
    clearTimeout(this.pingTimer);
    this.dialTimer = this.keepAliveTimer = this.pingTimer = undefined;
  }
}
