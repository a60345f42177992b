/**
 * The server the concurrency tests run against, behind one factory so the same suite runs
 * against the real etcd 3.4 (`ETCD_TEST_SERVER=real`, the default) and against etcd-ts's
 * daemon (`ETCD_TEST_SERVER=ours`: apps/etcd/bin/etcd.js, built, with the same flags).
 */
import { after, before } from "node:test";
import { Client } from "@etcd-ts/client";
import { startMember } from "@etcd-ts/testkit";

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
  if (KIND !== "real" && KIND !== "ours") throw new Error(`ETCD_TEST_SERVER=${KIND}: expected "real" or "ours"`);
  const etcd = await startMember({ binary: KIND === "ours" ? "etcd-ts" : "etcd", flags: extraFlags });
  return { endpoints: [etcd.clientUrl], address: etcd.clientAddress, stop: () => etcd.stop() };
}

/**
 * useServerAndClient registers the usual hooks of a test file: a one-member server and a
 * client of it before the tests, both closed after. `onReady` receives them.
 */
export function useServerAndClient(onReady: (server: TestServer, client: Client) => void): void {
  let server: TestServer | undefined;
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
