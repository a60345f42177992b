/**
 * EtcdConfig: a member's configuration — the daemon's flags as a typed object, with etcd's
 * names (camelCased) and etcd's defaults.
 */

/** EtcdConfig is everything a member is started with. */
export interface EtcdConfig {
  /** name of this member (`--name`, default "default"). */
  readonly name: string;
  /** dataDir (`--data-dir`, default `${name}.etcd`). */
  readonly dataDir: string;
  /** walDir (`--wal-dir`): the WAL outside the data dir, if set. */
  readonly walDir?: string | undefined;
  readonly listenClientUrls: readonly string[];
  readonly advertiseClientUrls: readonly string[];
  readonly listenPeerUrls: readonly string[];
  readonly initialAdvertisePeerUrls: readonly string[];
  /** initialCluster: `name=peerURL,...`. */
  readonly initialCluster: string;
  readonly initialClusterState: "new" | "existing";
  readonly initialClusterToken: string;
  /** snapshotCount: applied entries between raft snapshots. */
  readonly snapshotCount: number;
  /** heartbeatInterval in ms. */
  readonly heartbeatInterval: number;
  /** electionTimeout in ms. */
  readonly electionTimeout: number;
  /** quotaBackendBytes: 0 means etcd's default, 2 GiB. */
  readonly quotaBackendBytes: number;
  readonly maxRequestBytes: number;
  readonly maxTxnOps: number;
  readonly autoCompactionMode: "periodic" | "revision";
  /** autoCompactionRetention: "0" disables; periodic takes hours or a duration ("1h", "30m"). */
  readonly autoCompactionRetention: string;
  /** authToken: `simple` or `jwt,pub-key=...,priv-key=...,sign-method=...,ttl=...`. */
  readonly authToken: string;
  /** bcryptCost for new password hashes (etcd's default 10). */
  readonly bcryptCost: number;
  /** authTokenTtl: simple tokens' TTL in seconds (`--auth-token-ttl`, default 300). */
  readonly authTokenTtl: number;
  /**
   * maxConcurrentStreams (`--max-concurrent-streams`): HTTP/2 streams one client connection
   * may have open. etcd's default is unlimited (math.MaxUint32); ours is 4096, so that one
   * connection cannot make the server hold unbounded per-stream state.
   */
  readonly maxConcurrentStreams: number;
  /**
   * experimentalEnableLeaseCheckpoint (`--experimental-enable-lease-checkpoint`, default false):
   * the leader records long leases' remaining TTLs through raft, so a leader change does not
   * give them their full TTL again. Off, as in etcd 3.4/3.5, a restart or a leader change
   * gives every lease its full TTL plus an election timeout.
   */
  readonly experimentalEnableLeaseCheckpoint: boolean;
  /**
   * experimentalEnableLeaseCheckpointPersist (`--experimental-enable-lease-checkpoint-persist`,
   * default false; needs the checkpoint flag): applied checkpoints are written to the lease
   * table, so they also survive a restart.
   */
  readonly experimentalEnableLeaseCheckpointPersist: boolean;
  /**
   * leaseCheckpointInterval in ms between checkpoints of one lease (etcd's 5 minutes). Not a
   * flag in etcd 3.4: only an embedder (a test) shortens it, as etcd's integration tests do.
   */
  readonly leaseCheckpointInterval: number;
  /** clientTls: TLS of the `https://` client URLs (etcd's client security flags). */
  readonly clientTls: ClientTlsConfig;
}

/**
 * ClientTlsConfig: etcd's client-side security flags. Used by the `https://` entries of
 * `listenClientUrls` (`http://` ones stay cleartext, as in etcd).
 */
export interface ClientTlsConfig {
  /** certFile (`--cert-file`): the server's PEM certificate (chain after it). */
  readonly certFile: string;
  /** keyFile (`--key-file`): its PEM private key. */
  readonly keyFile: string;
  /**
   * trustedCaFile (`--trusted-ca-file`): PEM CA certificates for client certificates. When
   * set, clients must present a certificate signed by one of them (even without `clientCertAuth`, as etcd).
   */
  readonly trustedCaFile: string;
  /**
   * clientCertAuth (`--client-cert-auth`): require a client certificate signed by the trusted
   * CA, and take its Common Name as the user of requests that carry no auth token.
   */
  readonly clientCertAuth: boolean;
  /**
   * autoTls (`--auto-tls`): without certFile and keyFile, generate a self-signed certificate into
   * `<dataDir>/fixtures/client/` (kept across restarts); the other fields are then ignored, as etcd does.
   */
  readonly autoTls: boolean;
  /** cipherSuites (`--cipher-suites`): Go's suite names (TLS 1.2); empty: the defaults. */
  readonly cipherSuites: readonly string[];
  /** crlFile (`--client-crl-file`): client certificates whose serial it revokes are refused. */
  readonly crlFile: string;
  /**
   * allowedHostname (`--client-cert-allowed-hostname`): when client certificates are asked for
   * (a trusted CA is set), only certificates valid for this host name are accepted.
   */
  readonly allowedHostname: string;
}

/** EtcdConfigOptions are what `defaultConfig` and `startEtcd` take: any field, TLS fields one by one. */
export type EtcdConfigOptions = Partial<Omit<EtcdConfig, "clientTls">> & { readonly clientTls?: Partial<ClientTlsConfig> };

/** DEFAULT_CLIENT_TLS is etcd's default: no TLS. */
export const DEFAULT_CLIENT_TLS: ClientTlsConfig = {
  certFile: "",
  keyFile: "",
  trustedCaFile: "",
  clientCertAuth: false,
  autoTls: false,
  cipherSuites: [],
  crlFile: "",
  allowedHostname: "",
};

/** DEFAULT_QUOTA_BYTES is etcd's default backend quota: 2 GiB. */
export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;

/** defaultConfig returns etcd's defaults, with the given fields over them. */
export function defaultConfig(overrides: EtcdConfigOptions = {}): EtcdConfig {
  const name = overrides.name ?? "default";
  const listenPeerUrls = overrides.listenPeerUrls ?? ["http://localhost:2380"];
  const initialAdvertisePeerUrls = overrides.initialAdvertisePeerUrls ?? ["http://localhost:2380"];
  return {
    name,
    dataDir: `${name}.etcd`,
    listenClientUrls: ["http://localhost:2379"],
    advertiseClientUrls: ["http://localhost:2379"],
    listenPeerUrls,
    initialAdvertisePeerUrls,
    initialCluster: initialAdvertisePeerUrls.map((url) => `${name}=${url}`).join(","),
    initialClusterState: "new",
    initialClusterToken: "etcd-cluster",
    snapshotCount: 100_000,
    heartbeatInterval: 100,
    electionTimeout: 1000,
    quotaBackendBytes: 0,
    maxRequestBytes: 1.5 * 1024 * 1024,
    maxTxnOps: 128,
    autoCompactionMode: "periodic",
    autoCompactionRetention: "0",
    authToken: "simple",
    bcryptCost: 10,
    authTokenTtl: 300,
    maxConcurrentStreams: 4096,
    experimentalEnableLeaseCheckpoint: false,
    experimentalEnableLeaseCheckpointPersist: false,
    leaseCheckpointInterval: 5 * 60_000,
    ...overrides,
    clientTls: { ...DEFAULT_CLIENT_TLS, ...overrides.clientTls },
  };
}

/** parseInitialCluster reads `name=url,name=url2,...` into name → peer URLs. */
export function parseInitialCluster(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new Error(`invalid initial cluster entry ${JSON.stringify(part)}`);
    const name = part.slice(0, eq);
    out.set(name, [...(out.get(name) ?? []), part.slice(eq + 1)]);
  }
  return out;
}
