/**
 * limits: the server's memory under what a crowd of clients can hold open — idle
 * connections, watchers on one stream, leases — for the real etcd and etcd-ts, each started
 * fresh as a child process with the same flags (see side/servers.ts), scenario by scenario.
 *
 * What is measured is the server process's resident set (VmRSS, /proc/<pid>/status) before
 * and after each scenario, once it has settled (a few seconds, and the same for both): the
 * growth divided by the count is the cost of one more connection, watcher or lease. After
 * each scenario the server must still answer a put and a get from a new client.
 *
 * - idle connections: N TCP connections that each say the HTTP/2 preface and SETTINGS (what
 *   a gRPC client does before its first call), then nothing; opened 200 at a time.
 * - watchers: one gRPC connection, one Watch stream, N create requests on distinct keys; all
 *   N "created" answers are waited for.
 * - leases: N LeaseGrant calls (TTL 1 h), 64 in flight.
 *
 * Run it with `pnpm --filter @etcd-ts/benchmarks limits` (see cli.ts for the flags). Needs
 * `ulimit -n` above the connection count (the client holds one fd per connection).
 */
import { readFileSync } from "node:fs";
import { connect as http2Connect, type ClientHttp2Session, type IncomingHttpHeaders } from "node:http2";
import { connect as tcpConnect, type Socket } from "node:net";
import { GrpcDeframer, decodeGrpcMessage, encodeFrame, etcdserverpb as pb, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";
import { startServer, type ServerCluster, type ServerKind } from "../side/servers.js";

/** Options of one run. */
export interface LimitsOptions {
  readonly connections: number;
  readonly watchers: number;
  readonly leases: number;
  readonly servers: readonly ServerKind[];
  /** settleMs: how long a server is left alone before its RSS is read. */
  readonly settleMs: number;
}

/** One scenario's figures for one server. */
export interface ScenarioResult {
  readonly server: ServerKind;
  readonly scenario: "idle connections" | "watchers on one stream" | "leases";
  readonly count: number;
  readonly rssBeforeKb: number;
  readonly rssAfterKb: number;
  /** perItemKb: (after - before) / count. */
  readonly perItemKb: number;
  readonly seconds: number;
  /** stillServes: a new client's put and get worked afterwards. */
  readonly stillServes: boolean;
}

/** rssKb reads VmRSS of a process (KiB). */
export function rssKb(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
const SETTINGS_ACK = Buffer.from([0, 0, 0, 4, 1, 0, 0, 0, 0]);

/** openIdle opens one HTTP/2 connection that says hello and then nothing (it acknowledges the server's SETTINGS). */
function openIdle(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port });
    let acked = false;
    socket.on("error", reject);
    socket.on("connect", () => socket.write(Buffer.concat([PREFACE, EMPTY_SETTINGS])));
    socket.on("data", () => {
      if (acked) return;
      acked = true; // the server's SETTINGS arrived: the connection is set up on both sides
      socket.write(SETTINGS_ACK);
      socket.off("error", reject);
      socket.on("error", () => undefined);
      resolve(socket);
    });
  });
}

/** unary makes one call over a node:http2 session; rejects with the gRPC status on failure. */
function unary<Req, Res>(session: ClientHttp2Session, method: MethodDefinition<Req, Res>, request: PartialMessage<Req>): Promise<Res> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": method.path, "content-type": "application/grpc", te: "trailers" });
    let response: Uint8Array | undefined;
    const deframer = new GrpcDeframer((bytes) => (response ??= bytes), Infinity);
    let status: string | undefined;
    let message = "";
    stream.on("response", (headers) => {
      status ??= headers["grpc-status"] as string | undefined;
    });
    stream.on("trailers", (trailers: IncomingHttpHeaders) => {
      status = trailers["grpc-status"] as string;
      message = decodeGrpcMessage((trailers["grpc-message"] as string | undefined) ?? "");
    });
    stream.on("data", (chunk: Buffer) => deframer.push(chunk));
    stream.on("error", reject);
    stream.on("close", () => {
      if (status !== "0" || response === undefined) reject(new Error(`${method.path}: status ${status} ${message}`));
      else resolve(method.responseType.decode(response));
    });
    stream.end(encodeFrame(method.requestType, request));
  });
}

function session(endpoint: string): ClientHttp2Session {
  const s = http2Connect(`http://${endpoint}`);
  s.on("error", () => undefined);
  return s;
}

/** stillServes: a fresh client puts a key and reads it back. */
async function stillServes(endpoint: string): Promise<boolean> {
  const s = session(endpoint);
  try {
    await unary(s, pb.KVService.put, { key: Buffer.from("limits/check"), value: Buffer.from("ok") });
    const got = await unary(s, pb.KVService.range, { key: Buffer.from("limits/check") });
    return Buffer.from(got.kvs[0]?.value ?? []).toString() === "ok";
  } catch {
    return false;
  } finally {
    s.destroy();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function measure(
  server: ServerCluster,
  scenario: ScenarioResult["scenario"],
  count: number,
  settleMs: number,
  load: (endpoint: string) => Promise<() => void>,
): Promise<ScenarioResult> {
  const member = server.members[0]!;
  await sleep(settleMs);
  const rssBeforeKb = rssKb(member.pid);
  const started = Date.now();
  const release = await load(member.endpoint);
  const seconds = (Date.now() - started) / 1000;
  await sleep(settleMs);
  const rssAfterKb = rssKb(member.pid);
  const serves = await stillServes(member.endpoint);
  release();
  return { server: server.kind, scenario, count, rssBeforeKb, rssAfterKb, perItemKb: (rssAfterKb - rssBeforeKb) / count, seconds, stillServes: serves };
}

/** idleConnections holds `count` idle HTTP/2 connections open. */
async function idleConnections(endpoint: string, count: number): Promise<() => void> {
  const [host, port] = endpoint.split(":") as [string, string];
  const sockets: Socket[] = [];
  for (let opened = 0; opened < count; ) {
    const batch = Math.min(200, count - opened);
    sockets.push(...(await Promise.all(Array.from({ length: batch }, () => openIdle(host, Number(port))))));
    opened += batch;
  }
  return () => {
    for (const s of sockets) s.destroy();
  };
}

/** watchers creates `count` watchers on one Watch stream and waits for every "created". */
async function watchers(endpoint: string, count: number): Promise<() => void> {
  const s = session(endpoint);
  const stream = s.request({ ":method": "POST", ":path": pb.WatchService.watch.path, "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => undefined);
  let created = 0;
  const done = new Promise<void>((resolve, reject) => {
    const deframer = new GrpcDeframer((bytes) => {
      const response = pb.WatchResponse.decode(bytes);
      if (response.created && !response.canceled) created++;
      if (created === count) resolve();
    }, Infinity);
    stream.on("data", (chunk: Buffer) => deframer.push(chunk));
    stream.on("close", () => reject(new Error(`watch stream closed after ${created} watchers`)));
  });
  for (let i = 0; i < count; i++) {
    const frame = encodeFrame(pb.WatchRequest, { requestUnion: { $case: "createRequest", createRequest: { key: Buffer.from(`limits/w/${String(i).padStart(6, "0")}`) } } });
    if (!stream.write(frame)) await new Promise((r) => stream.once("drain", r));
  }
  await done;
  return () => s.destroy();
}

/** leases grants `count` leases, 64 in flight over 4 connections. */
async function leases(endpoint: string, count: number): Promise<() => void> {
  const sessions = Array.from({ length: 4 }, () => session(endpoint));
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async (_, worker) => {
      const s = sessions[worker % sessions.length]!;
      while (next < count) {
        next++;
        await unary(s, pb.LeaseService.leaseGrant, { TTL: 3600 });
      }
    }),
  );
  for (const s of sessions) s.close();
  return () => undefined;
}

/** runLimits runs every scenario on a fresh server of each kind. */
export async function runLimits(options: LimitsOptions, log: (line: string) => void = () => undefined): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const scenarios: [ScenarioResult["scenario"], number, (endpoint: string, count: number) => Promise<() => void>][] = [
    ["idle connections", options.connections, idleConnections],
    ["watchers on one stream", options.watchers, watchers],
    ["leases", options.leases, leases],
  ];
  for (const [scenario, count, load] of scenarios) {
    if (count <= 0) continue;
    for (const kind of options.servers) {
      const server = await startServer(kind);
      try {
        log(`${kind}: ${scenario} × ${count} ...`);
        const result = await measure(server, scenario, count, options.settleMs, (endpoint) => load(endpoint, count));
        log(`${kind}: ${scenario} × ${count}: RSS ${(result.rssBeforeKb / 1024).toFixed(1)} → ${(result.rssAfterKb / 1024).toFixed(1)} MiB, ${result.perItemKb.toFixed(2)} KiB each, ${result.seconds.toFixed(1)} s, serves: ${result.stillServes}`);
        results.push(result);
      } finally {
        await server.stop();
      }
    }
  }
  return results;
}

/** table writes the results as a Markdown table. */
export function table(results: readonly ScenarioResult[]): string {
  const lines = ["| scenario | server | count | RSS before (MiB) | RSS after (MiB) | per item (KiB) | still serves |", "| --- | --- | ---: | ---: | ---: | ---: | --- |"];
  for (const r of results) {
    lines.push(`| ${r.scenario} | ${r.server} | ${r.count.toLocaleString("en-US")} | ${(r.rssBeforeKb / 1024).toFixed(1)} | ${(r.rssAfterKb / 1024).toFixed(1)} | ${r.perItemKb.toFixed(2)} | ${r.stillServes ? "yes" : "NO"} |`);
  }
  return lines.join("\n");
}
