/**
 * ServerTls: the server side of client TLS — the certificate, key, trusted CA and CRL files
 * of `--cert-file`, `--key-file`, `--trusted-ca-file`, `--client-crl-file`, read into
 * node:tls options, and kept fresh as the files change.
 *
 * As etcd 3.4 (`transport.TLSInfo.ServerConfig`): TLS 1.2 at least; a client certificate is
 * required and verified against the trusted CA when `--client-cert-auth` is on *or* a trusted
 * CA file is given; `--cipher-suites` restrict TLS 1.2 (see cipherSuites.ts).
 *
 * Rotation without restart: etcd reads the certificate and key again at every handshake.
 * We look at the files' modification (stat) at most once per `checkIntervalMs` when
 * connections arrive, and rebuild the options when one changed; a new pair that does not
 * load (say, a key written before its certificate) is ignored until it does, the old one
 * serving meanwhile. The CRL is read the same way and checked after each handshake by
 * serial number, as etcd does; an unreadable CRL refuses connections, as in etcd.
 *
 * Not here: listening (ClientListener), peer TLS, `--client-cert-allowed-hostname`.
 */
import { readFile, stat } from "node:fs/promises";
import { createSecureContext, type SecureContextOptions, type TLSSocket } from "node:tls";
import { opensslCiphers } from "./cipherSuites.js";
import { allowedHostnameRejection } from "./allowedHostname.js";
import { normalizeSerial, revokedSerials } from "./crl.js";

/** ServerTlsOptions are the client-side TLS settings of a member (etcd's flag names in the comments). */
export interface ServerTlsOptions {
  /** certFile (`--cert-file`): PEM certificate, its chain after it. */
  readonly certFile: string;
  /** keyFile (`--key-file`): its PEM private key. */
  readonly keyFile: string;
  /** trustedCaFile (`--trusted-ca-file`): PEM CA certificates client certificates must chain to. */
  readonly trustedCaFile?: string;
  /** clientCertAuth (`--client-cert-auth`): require client certificates and use their CN as the user. */
  readonly clientCertAuth?: boolean;
  /** crlFile (`--client-crl-file`): client certificates whose serial it lists are refused. */
  readonly crlFile?: string;
  /**
   * allowedHostname (`--client-cert-allowed-hostname`): when client certificates are asked
   * for, only those valid for this host name are accepted (see allowedHostname.ts).
   */
  readonly allowedHostname?: string;
  /** cipherSuites (`--cipher-suites`): Go's names, e.g. `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`. */
  readonly cipherSuites?: readonly string[];
  /** checkIntervalMs: how often at most the files are looked at for changes (default 1000). */
  readonly checkIntervalMs?: number;
}

/** The options of a node:tls server that change with the files. */
export type TlsContextOptions = Pick<SecureContextOptions, "cert" | "key" | "ca" | "ciphers" | "minVersion">;

interface FileStamp {
  readonly path: string;
  readonly stamp: string;
}

/** goFileError words a failed read as Go's `os.ReadFile` does (`open x: no such file or directory`). */
function goFileError(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === "ENOENT" ? "no such file or directory" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "is a directory" : (error as Error).message;
  return new Error(`${code === "EISDIR" ? "read" : "open"} ${path}: ${reason}`, { cause: error });
}

async function readTlsFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw goFileError(path, error);
  }
}

async function stampOf(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch (error) {
    return `missing:${(error as NodeJS.ErrnoException).code ?? ""}`;
  }
}

const PEM_BLOCK = /-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----/g;

/** ServerTls holds the current TLS options of the client listeners. */
export class ServerTls {
  /** requestCert: client certificates are asked for and must verify (client cert auth or a trusted CA). */
  readonly requestCert: boolean;
  /** clientCertAuth: a verified certificate's CN is the user of requests without a token. */
  readonly clientCertAuth: boolean;
  private current: TlsContextOptions;
  private stamps: readonly FileStamp[];
  private generationCount = 0;
  private lastCheck = Date.now();
  private checking: Promise<void> | undefined;
  private crl: { stamp: string; serials: Set<string> | Error } | undefined;
  private readonly ciphers: string | undefined;
  private readonly checkIntervalMs: number;

  private constructor(private readonly options: ServerTlsOptions, loaded: { context: TlsContextOptions; stamps: FileStamp[] }, ciphers: string | undefined) {
    this.requestCert = options.clientCertAuth === true || (options.trustedCaFile ?? "") !== "";
    this.clientCertAuth = options.clientCertAuth === true;
    this.current = loaded.context;
    this.stamps = loaded.stamps;
    this.ciphers = ciphers;
    this.checkIntervalMs = options.checkIntervalMs ?? 1000;
  }

  /**
   * load reads the files and checks that they make a TLS context. Errors are etcd's words:
   * `KeyFile and CertFile must both be present[key: ..., cert: ...]`, `open x: no such file
   * or directory`, `tls: private key does not match public key`, `unexpected TLS cipher
   * suite "x"`.
   */
  static async load(options: ServerTlsOptions): Promise<ServerTls> {
    const ciphers = opensslCiphers(options.cipherSuites ?? []);
    if (options.certFile === "" || options.keyFile === "") {
      throw new Error(`KeyFile and CertFile must both be present[key: ${options.keyFile}, cert: ${options.certFile}]`);
    }
    const loaded = await ServerTls.read(options, ciphers);
    return new ServerTls(options, loaded, ciphers);
  }

  private static async read(options: ServerTlsOptions, ciphers: string | undefined): Promise<{ context: TlsContextOptions; stamps: FileStamp[] }> {
    const paths = [options.certFile, options.keyFile, ...(options.trustedCaFile ? [options.trustedCaFile] : [])];
    // Stamps first: a file changed while we read it is read again at the next check.
    const stamps = await Promise.all(paths.map(async (path) => ({ path, stamp: await stampOf(path) })));
    const [cert, key, ca] = await Promise.all(paths.map(readTlsFile));
    const certText = cert!.toString("utf8");
    const keyText = key!.toString("utf8");
    if (!certText.includes("-----BEGIN")) throw new Error("tls: failed to find any PEM data in certificate input");
    if (!keyText.includes("-----BEGIN")) throw new Error("tls: failed to find any PEM data in key input");
    const context: TlsContextOptions = {
      cert: certText,
      key: keyText,
      minVersion: "TLSv1.2",
      ...(ciphers === undefined ? {} : { ciphers }),
      // An unreadable CA bundle trusts nothing (etcd: an empty pool), never the system roots.
      ...(ca === undefined ? {} : { ca: ca.toString("utf8").match(PEM_BLOCK) ?? [] }),
    };
    try {
      createSecureContext(context);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      if (code === "ERR_OSSL_X509_KEY_VALUES_MISMATCH" || /key values mismatch/.test((error as Error).message)) throw new Error("tls: private key does not match public key", { cause: error });
      throw new Error(`tls: ${(error as Error).message}`, { cause: error });
    }
    return { context, stamps };
  }

  /** contextOptions are the options to build a server's secure context from now. */
  contextOptions(): TlsContextOptions {
    return this.current;
  }

  /** generation grows each time the files were reloaded: a server whose context is older rebuilds it. */
  get generation(): number {
    return this.generationCount;
  }

  /**
   * refresh looks at the files (at most once per check interval) and reloads them if they
   * changed. Never rejects: a pair that fails to load leaves the current one in place.
   */
  refresh(): Promise<void> {
    if (this.checking) return this.checking;
    if (Date.now() - this.lastCheck < this.checkIntervalMs) return Promise.resolve();
    this.lastCheck = Date.now();
    this.checking = (async () => {
      const stamps = await Promise.all(this.stamps.map(async ({ path }) => ({ path, stamp: await stampOf(path) })));
      if (stamps.every((s, i) => s.stamp === this.stamps[i]?.stamp)) return;
      try {
        const loaded = await ServerTls.read(this.options, this.ciphers);
        this.current = loaded.context;
        this.stamps = loaded.stamps;
        this.generationCount++;
      } catch {
        // Half-rotated files: keep serving the old pair; look again at the next check.
      }
    })().finally(() => (this.checking = undefined));
    return this.checking;
  }

  /**
   * rejection says why a connection must be refused after its handshake (`client certificate
   * authentication failed` for a certificate not valid for the allowed host name, `transport:
   * certificate serial <hex> revoked`, or the CRL's read error), or undefined to accept it.
   */
  async rejection(socket: TLSSocket): Promise<string | undefined> {
    const allowedHostname = this.options.allowedHostname ?? "";
    if (allowedHostname !== "" && this.requestCert) {
      const peer = socket.getPeerCertificate();
      const reason = allowedHostnameRejection(peer.raw === undefined ? undefined : peer, allowedHostname);
      if (reason !== undefined) return reason;
    }
    const crlFile = this.options.crlFile ?? "";
    if (crlFile === "") return undefined;
    const stamp = await stampOf(crlFile);
    if (this.crl?.stamp !== stamp) {
      let serials: Set<string> | Error;
      try {
        serials = revokedSerials(await readTlsFile(crlFile));
      } catch (error) {
        serials = error as Error;
      }
      this.crl = { stamp, serials };
    }
    const serials = this.crl.serials;
    if (serials instanceof Error) return serials.message;
    // The whole chain the client sent, as etcd checks every peer certificate.
    const seen = new Set<object>();
    for (let cert = socket.getPeerCertificate(true); cert && !seen.has(cert) && cert.serialNumber; cert = cert.issuerCertificate) {
      seen.add(cert);
      const serial = normalizeSerial(cert.serialNumber);
      if (serials.has(serial)) return `transport: certificate serial ${serial} revoked`;
    }
    return undefined;
  }
}
