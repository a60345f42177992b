#!/usr/bin/env node
// The floor of anything served through node:http2 on this machine: a server that answers
// every gRPC call, whatever it asks, with an empty (7-byte framed) message and grpc-status 0.
// Point the load generator at it as at a member, e.g. for a 1-client read:
//
//   node benchmarks/scripts/bare-http2.mjs 23111 &
//   node benchmarks/bin/etcd-ts-benchmark.js --endpoints 127.0.0.1:23111 --progress off \
//     --conns 1 --clients 1 range foo --consistency s --total 5000
//
// usage: node benchmarks/scripts/bare-http2.mjs PORT
import { Buffer } from "node:buffer";
import http2 from "node:http2";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) throw new Error("usage: bare-http2.mjs PORT");

// An empty protobuf message with a header field: flag 0, length 2, field 1 (length-delimited, empty).
const reply = Buffer.from([0, 0, 0, 0, 2, 0x0a, 0x00]);
const server = http2.createServer();
server.on("stream", (stream) => {
  stream.resume();
  stream.once("end", () => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(reply);
  });
});
server.listen(port, "127.0.0.1", () => console.log(`bare node:http2 gRPC answerer on 127.0.0.1:${port}`));
process.once("SIGTERM", () => server.close(() => process.exit(0)));
