/**
 * ConnectionOptions: what one endpoint's connection is configured with (address, TLS,
 * dial and keepalive timing). Types only; the Connection and its sessions read them.
 */
import type { EndpointAddress } from "./Endpoints.js";

/** TLS material for secure endpoints (PEM). */
export interface TlsOptions {
  /** ca is the trusted root certificate(s); the system roots when absent. */
  readonly ca?: Uint8Array | string | undefined;
  /** cert is the client certificate for mutual TLS. */
  readonly cert?: Uint8Array | string | undefined;
  /** key is the client certificate's private key. */
  readonly key?: Uint8Array | string | undefined;
  /** servername is the name to verify the server's certificate against (SNI); the endpoint's host by default. */
  readonly servername?: string | undefined;
}

/** ConnectionOptions configure one connection. */
export interface ConnectionOptions {
  readonly endpoint: EndpointAddress;
  /** tls turns TLS on even for an `http://` endpoint (as etcd's client does with TLS material). */
  readonly tls?: TlsOptions | undefined;
  /** dialTimeoutMs bounds one connection attempt. */
  readonly dialTimeoutMs: number;
  /** keepAliveTimeMs: ping after this long without receiving anything while calls are open (0: never). */
  readonly keepAliveTimeMs: number;
  /** keepAliveTimeoutMs: drop the connection when a ping is not answered within this long. */
  readonly keepAliveTimeoutMs: number;
}
