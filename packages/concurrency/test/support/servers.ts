/**
 * The server the concurrency tests run against, behind one factory so the same suite runs
 * against the real etcd 3.4 now and against etcd-ts's server once it exists
 * (`ETCD_TEST_SERVER=real`, the default; other values fail clearly until then).
 */
import { startRealEtcd } from "@etcd-ts/testkit";

/** TestServer is a running one-member cluster. */
export interface TestServer {
  /** endpoints are the client URLs. */
  readonly endpoints: string[];
  /** address is the first `host:port` (for etcdctl). */
  readonly address: string;
  stop(): Promise<void>;
}

const KIND = process.env["ETCD_TEST_SERVER"] ?? "real";

/** startServer starts a one-member cluster. */
export async function startServer(extraFlags: readonly string[] = []): Promise<TestServer> {
  if (KIND !== "real") throw new Error(`ETCD_TEST_SERVER=${KIND}: only "real" exists until etcd-ts's server does`);
  const etcd = await startRealEtcd(extraFlags);
  return { endpoints: [etcd.clientUrl], address: etcd.clientAddress, stop: () => etcd.stop() };
}
