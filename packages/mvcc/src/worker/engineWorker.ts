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
import type { EngineArgs, EngineMethod, EngineReply, EngineRequest, EngineResult, WireApplyResult, WireOpResult, WorkerInit, WorkerReady } from "./protocol.js";

const port = parentPort;
if (port === null) throw new Error("engineWorker must run as a worker thread");
const init = workerData as WorkerInit;

function hello(message: WorkerReady): void {
  port!.postMessage(message);
}

let engine: EngineCore;
try {
  engine = EngineCore.open(init.dir, init.options);
  hello({ ready: true });
} catch (error) {
  hello({ ready: false, message: error instanceof Error ? error.message : String(error) });
  throw error;
}

const outbox: EngineReply[] = [];
/** Buffers moved (not copied) to the main thread with the next reply message. */
let transfers: ArrayBuffer[] = [];
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

function wireApplyResult(result: ApplyResult): WireApplyResult {
  return {
    ...result,
    results: result.results.map((r): WireOpResult => (r.ok ? r : { ok: false, kind: r.error.kind })),
  };
}

/** ANSWERED: the call's reply went out already (an apply answered before its commit, a close). */
const ANSWERED = Symbol("answered");

/**
 * applyAnsweredEarly applies a batch and answers as soon as it is written, before LMDB's
 * commit and fdatasync (see EngineCore.applySync), the replies queued before it first. A
 * commit that fails after that answer kills this thread: the main thread then fails every
 * further call and the member stops.
 */
function applyAnsweredEarly(id: number, batch: ApplyBatch): Promise<typeof ANSWERED> {
  let answered = false;
  return engine
    .apply(batch, (result) => {
      answered = true;
      const moved = transfers;
      transfers = [];
      port!.postMessage([...outbox.splice(0), { id, ok: true, value: wireApplyResult(result) } satisfies EngineReply], moved);
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

/**
 * Handlers serve each method of the protocol: its arguments in, its answer out, or ANSWERED
 * when the handler posted the answer itself. The mapped type ties every handler to its row
 * of {@link EngineCalls}, so no argument is cast.
 */
type Handlers = {
  readonly [M in EngineMethod]: (args: EngineArgs<M>, id: number) => Promise<EngineResult<M> | typeof ANSWERED>;
};

// Handlers index `args` rather than destructuring it: the hot calls (apply, range) stay a
// plain element load, as in the switch this table replaced.
const handlers: Handlers = {
  apply: (args, id) => applyAnsweredEarly(id, args[0]),
  range: (args) => engine.range(args[0]),
  readTxn: (args) => engine.readTxn(args[0]),
  rangeEncoded: (args) =>
    engine.rangeEncoded(etcdserverpb.RangeRequest.decode(args[0])).then(({ revision, body }) => ({ revision, body: forPosting(body, transfers) })),
  readBucket: (args) => engine.readBucket(args[0]),
  sync: () => engine.sync(),
  eventsSince: (args) => engine.eventsSince(args[0], args[1], args[2]),
  hashKV: (args) => engine.hashKV(args[0]),
  hash: () => engine.hash(),
  status: () => engine.status(),
  defrag: () => engine.defrag(),
  snapshot: (args) => engine.snapshot(args[0]),
  restore: (args) => engine.restore(args[0]),
  compacted: (args) => engine.compacted(args[0]),
  close: (_args, id) =>
    engine.close().then(() => {
      // answer at once, then let the thread end
      port.postMessage([...outbox.splice(0), { id, ok: true, value: undefined } satisfies EngineReply]);
      port.close();
      return ANSWERED;
    }),
};

/** serve runs one request through its handler; generic in M so `args` matches the handler's row. */
function serve<M extends EngineMethod>(method: M, args: EngineArgs<M>, id: number): Promise<EngineResult<M> | typeof ANSWERED> {
  return handlers[method](args, id);
}

port.on("message", (requests: EngineRequest[]) => {
  for (const request of requests) {
    serve(request.method, request.args, request.id).then(
      (value) => {
        if (value !== ANSWERED) reply({ id: request.id, ok: true, value });
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
