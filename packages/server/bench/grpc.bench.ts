/**
 * Transport benchmark: unary KV.Range calls per second against our gRPC server and against
 * @grpc/grpc-js's server, each in its own process, driven by a raw node:http2 load generator
 * (so the client library is not what is measured): `--conns` connections, `--inflight`
 * concurrent calls on each, `--seconds` per run.
 *
 * usage: pnpm --filter @etcd-ts/server bench [--conns=4] [--inflight=64] [--seconds=5]
 */
import { spawn } from "node:child_process";
import { connect, type IncomingHttpHeaders } from "node:http2";
import { join } from "node:path";
import { etcdserverpb as pb, frameMessage } from "@etcd-ts/api";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const conns = Number(args.get("conns") ?? 4);
const inflight = Number(args.get("inflight") ?? 64);
const seconds = Number(args.get("seconds") ?? 5);
const body = frameMessage(pb.RangeRequest.encode({ key: new TextEncoder().encode("some/key/name") }));

async function run(kind: string): Promise<number> {
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "grpc-server.fixture.ts"), kind], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
  let calls = 0;
  let errors = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: conns }, async () => {
      const session = connect(`http://127.0.0.1:${port}`);
      session.on("error", () => undefined);
      await Promise.all(
        Array.from({ length: inflight }, async () => {
          while (Date.now() < deadline) {
            await new Promise<void>((resolve) => {
              const req = session.request({ ":method": "POST", ":path": pb.KVService.range.path, "content-type": "application/grpc", te: "trailers" });
              req.on("trailers", (t: IncomingHttpHeaders) => (t["grpc-status"] === "0" ? calls++ : errors++));
              req.on("data", () => undefined);
              req.on("close", resolve);
              req.end(body);
            });
          }
        }),
      );
      session.close();
    }),
  );
  child.kill();
  if (errors > 0) throw new Error(`${kind}: ${errors} failed calls`);
  return calls / seconds;
}

const rows: [string, number][] = [];
for (const kind of ["ours", "grpc-js", "ours", "grpc-js"]) rows.push([kind, await run(kind)]);
const best = (k: string): number => Math.max(...rows.filter(([n]) => n === k).map(([, v]) => v));
console.log(`\nunary KV.Range, ${conns} connections × ${inflight} in flight, ${seconds} s per run (best of 2, interleaved)\n`);
console.log("| server | calls/s |");
console.log("| --- | ---: |");
console.log(`| ours (node:http2 + our codecs) | ${best("ours").toFixed(0)} |`);
console.log(`| @grpc/grpc-js server | ${best("grpc-js").toFixed(0)} |`);
console.log(`| ratio | ${(best("ours") / best("grpc-js")).toFixed(2)}x |`);
