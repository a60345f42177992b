#!/usr/bin/env node
// How long a message takes to reach a worker thread and come back, when the worker is busy
// (messages back to back) and when it has gone to sleep between two messages (as the storage
// worker does between the requests of a single client). The difference is the price of
// waking a sleeping thread on this machine, paid on every hop of a 1-client request.
//
// usage: node benchmarks/scripts/thread-wake.mjs [--rounds N] [--gap-ms MS]
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "2000" }, "gap-ms": { type: "string", default: "1" } } });
const rounds = Number(values.rounds);
const gapMs = Number(values["gap-ms"]);

const echo = new Worker(`require("node:worker_threads").parentPort.on("message", (m) => require("node:worker_threads").parentPort.postMessage(m));`, { eval: true });
const roundTrip = () => new Promise((resolve) => { echo.once("message", resolve); echo.postMessage(0); });
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function measure(gap) {
  const samples = [];
  for (let i = 0; i < rounds; i++) {
    if (gap > 0) await sleep(gap);
    const start = process.hrtime.bigint();
    await roundTrip();
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

for (let i = 0; i < 200; i++) await roundTrip(); // warm up
const busy = await measure(0);
const idle = await measure(gapMs);
console.log(`worker round trip, back to back:        p50 ${busy.p50.toFixed(1)} µs, p99 ${busy.p99.toFixed(1)} µs`);
console.log(`worker round trip, after ${gapMs} ms asleep:  p50 ${idle.p50.toFixed(1)} µs, p99 ${idle.p99.toFixed(1)} µs`);
await echo.terminate();
