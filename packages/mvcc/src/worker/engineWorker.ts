/**
 * The storage worker's entry point: it opens an {@link EngineCore} on `workerData.dir` and
 * serves {@link EngineRequest}s (see `protocol.ts`) until closed. Not imported by anything:
 * `MvccEngine` starts it as a worker.
 */
import { parentPort, workerData } from "node:worker_threads";
import { etcdserverpb } from "@etcd-ts/api";
import { forPosting } from "../EncodedRange.js";
import { EngineCore } from "../EngineCore.js";
import type { ApplyBatch, ApplyResult } from "../EngineCore.js";
import { MvccError } from "../errors.js";
import type { EngineReply, EngineRequest, WireOpResult, WorkerInit } from "./protocol.js";

const port = parentPort;
if (port === null) throw new Error("engineWorker must run as a worker thread");
const init = workerData as WorkerInit;

let engine: EngineCore;
try {
  engine = EngineCore.open(init.dir, init.options);
  port.postMessage({ ready: true });
} catch (error) {
  port.postMessage({ ready: false, message: error instanceof Error ? error.message : String(error) });
  throw error;
}

const outbox: EngineReply[] = [];
/** Buffers moved (not copied) to the main thread with the next reply message. */
let transfers: ArrayBuffer[] = [];
const CLOSED = Symbol("closed");
let flushScheduled = false;

function reply(r: EngineReply): void {
  outbox.push(r);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      if (outbox.length === 0) return; // an early apply answer took them along
      const moved = transfers;
      transfers = [];
      port!.postMessage(outbox.splice(0), moved);
    });
  }
}

function wireApplyResult(result: ApplyResult): unknown {
  return {
    ...result,
    results: result.results.map((r): WireOpResult => (r.ok ? r : { ok: false, kind: r.error.kind })),
  };
}

/** ANSWERED: the call's reply went out already (an apply answered before its commit). */
const ANSWERED = Symbol("answered");

/**
 * applyAnsweredEarly applies a batch and answers as soon as it is written, before LMDB's
 * commit and fdatasync (see EngineCore.applySync), the replies queued before it first. A
 * commit that fails after that answer kills this thread: the main thread then fails every
 * further call and the member stops.
 */
function applyAnsweredEarly(request: EngineRequest, batch: ApplyBatch): Promise<unknown> {
  let answered = false;
  return engine
    .apply(batch, (result) => {
      answered = true;
      const moved = transfers;
      transfers = [];
      port!.postMessage([...outbox.splice(0), { id: request.id, ok: true, value: wireApplyResult(result) }], moved);
    })
    .then(
      () => ANSWERED,
      (error: unknown) => {
        if (!answered) throw error;
        process.nextTick(() => {
          throw error;
        });
        return ANSWERED;
      },
    );
}

function call(request: EngineRequest): Promise<unknown> {
  const a = request.args;
  switch (request.method) {
    case "apply":
      return applyAnsweredEarly(request, a[0] as ApplyBatch);
    case "range":
      return engine.range(a[0] as never);
    case "rangeEncoded":
      return engine.rangeEncoded(etcdserverpb.RangeRequest.decode(a[0] as Uint8Array)).then(({ revision, body }) => ({ revision, body: forPosting(body, transfers) }));
    case "readBucket":
      return engine.readBucket(a[0] as string);
    case "sync":
      return engine.sync();
    case "eventsSince":
      return engine.eventsSince(a[0] as number, a[1] as number, a[2] as boolean);
    case "hashKV":
      return engine.hashKV(a[0] as number);
    case "hash":
      return engine.hash();
    case "status":
      return engine.status();
    case "defrag":
      return engine.defrag();
    case "snapshot":
      return engine.snapshot(a[0] as string);
    case "restore":
      return engine.restore(a[0] as string);
    case "compacted":
      return engine.compacted(a[0] as number);
    case "close":
      return engine.close().then(() => {
        // answer at once, then let the thread end
        port!.postMessage([...outbox.splice(0), { id: request.id, ok: true, value: undefined }]);
        port!.close();
        return CLOSED;
      });
  }
}

port.on("message", (requests: EngineRequest[]) => {
  for (const request of requests) {
    call(request).then(
      (value) => {
        if (value !== CLOSED && value !== ANSWERED) reply({ id: request.id, ok: true, value });
      },
      (error: unknown) =>
        reply({
          id: request.id,
          ok: false,
          kind: error instanceof MvccError ? error.kind : undefined,
          message: error instanceof Error ? error.message : String(error),
        }),
    );
  }
});
