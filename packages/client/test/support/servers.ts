/**
 * The servers the client's tests run against, behind one factory so the same suite runs
 * against the real etcd 3.4 now and against our own server once it exists:
 * `ETCD_TEST_SERVER=real` (default) starts Debian's `etcd`; `ETCD_TEST_SERVER=ours` starts
 * etcd-ts's daemon (apps/etcd/bin/etcd.js) with the same flags — single members only until
 * clustering exists.
 *
 * The members are @etcd-ts/testkit's (startCluster, restartable): a member can be killed and
 * started again on the same port and data dir (for resume-after-restart tests), and clusters
 * of several members can be started.
 */
import { after, before } from "node:test";
import { Client } from "../../src/index.js";
import { freePort, startCluster as startTestkitCluster, type MemberBinary } from "@etcd-ts/testkit";

/** TestMember is one member process. */
export interface TestMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly clientAddress: string;
  /** kill stops the process with SIGKILL (its data stays). */
  kill(): Promise<void>;
  /** start (re)starts the process on the same ports and data dir. */
  start(): Promise<void>;
  /** pause freezes the process (SIGSTOP) and resolves once it is stopped: connections stay open, nothing answers. */
  pause(): Promise<void>;
}

/** TestCluster is a running cluster of one or more members. */
export interface TestCluster {
  readonly members: readonly TestMember[];
  /** endpoints are the members' client URLs. */
  readonly endpoints: string[];
  /** stop kills every member and removes the data. */
  stop(): Promise<void>;
}

const KIND = process.env["ETCD_TEST_SERVER"] ?? "real";
/** ours: etcd-ts's daemon (apps/etcd/bin/etcd.js, built), started with the same flags as etcd; $ETCD_BINARY overrides either. */
const BINARY: MemberBinary = process.env["ETCD_BINARY"] ?? (KIND === "ours" ? "etcd-ts" : "etcd");

/** ServerTls: the PEM files a TLS server is started with (and a test client needs). */
export interface ServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  /** clientCertFile / clientKeyFile: a client certificate signed by the CA (for the health check). */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

/**
 * startCluster starts `size` members of the real etcd (a one-member cluster by default).
 * With `tls`, client URLs are `https://` and clients must present a certificate of the CA.
 */
export async function startCluster(size = 1, extraFlags: readonly string[] = [], tls?: ServerTls): Promise<TestCluster> {
  if (KIND !== "real" && KIND !== "ours") throw new Error(`ETCD_TEST_SERVER=${KIND}: expected "real" or "ours"`);
  if (KIND === "ours" && size > 1) throw new Error("ETCD_TEST_SERVER=ours: etcd-ts serves single members only (no peer transport yet)");
  const cluster = await startTestkitCluster({
    binary: BINARY,
    size,
    restartable: true,
    flags: ["--heartbeat-interval", "50", "--election-timeout", "500", ...extraFlags],
    ...(tls === undefined
      ? {}
      : { tls: { ca: tls.caFile, cert: tls.certFile, key: tls.keyFile, clientCertAuth: true, client: { cert: tls.clientCertFile, key: tls.clientKeyFile } } }),
  });
  const members = cluster.members.map(
    (member): TestMember => ({
      name: member.name,
      clientUrl: member.clientUrl,
      clientAddress: member.clientAddress,
      kill: () => member.kill("SIGKILL"),
      start: () => (member.running ? Promise.resolve() : member.restart()),
      pause: () => member.freeze(),
    }),
  );
  return { members, endpoints: [...cluster.endpoints], stop: () => cluster.stop() };
}

/** startServer starts a one-member cluster. */
export function startServer(extraFlags: readonly string[] = [], tls?: ServerTls): Promise<TestCluster> {
  return startCluster(1, extraFlags, tls);
}

/** deadEndpoint returns the URL of a port where nothing listens. */
export async function deadEndpoint(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/**
 * useServerAndClient registers the usual hooks of a test file: a one-member server and a
 * client of it before the tests, both closed after. `onReady` receives them.
 */
export function useServerAndClient(onReady: (server: TestCluster, client: Client) => void): void {
  let server: TestCluster | undefined;
  let client: Client | undefined;
  before(async () => {
    server = await startServer();
    client = new Client({ endpoints: server.endpoints });
    onReady(server, client);
  });
  after(async () => {
    await client?.close();
    await server?.stop();
  });
}
