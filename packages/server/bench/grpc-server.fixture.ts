// A child process for the transport benchmark: serves KV.Range with a fixed response, either
// through our GrpcServer or through @grpc/grpc-js's server, and prints its port.
import * as grpc from "@grpc/grpc-js";
import { etcdserverpb as pb } from "@etcd-ts/api";
import { ClientListener, GrpcServer } from "../src/index.js";

const kind = process.argv[2];
const response = { header: { revision: 100, clusterId: 1n, memberId: 2n, raftTerm: 3 }, count: 1, kvs: [{ key: new Uint8Array(32), value: new Uint8Array(256), createRevision: 5, modRevision: 9, version: 2 }] };
if (kind === "ours") {
  const server = new GrpcServer({ maxReceiveMessageSize: 2 * 1024 * 1024 });
  server.addUnary(pb.KVService.range, () => response);
  const listener = new ClientListener({ host: "127.0.0.1", port: 0, grpc: server, http1: (_q, s) => s.end() });
  await listener.listen();
  console.log(listener.address().port);
} else {
  const server = new grpc.Server();
  server.addService({ range: pb.KVService.range }, { range: (_call: unknown, cb: (e: null, r: unknown) => void) => cb(null, response) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  console.log(port);
}
