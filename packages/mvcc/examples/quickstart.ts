// The README's example: open an engine (in its worker thread), put, read at an old
// revision, watch. Run: pnpm --filter @etcd-ts/mvcc exec tsx examples/quickstart.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { etcdserverpb } from "@etcd-ts/api";
import { WatchableStore, openEngine } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "mvcc-example-"));
const engine = await openEngine(dir); // starts the storage worker
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString();
const put = (key: string, value: string) =>
  ({ op: "put", request: etcdserverpb.PutRequest.create({ key: Buffer.from(key), value: Buffer.from(value) }) }) as const;

// One batch = one message to the worker = one LMDB transaction (with raft index 1, term 1).
const first = await engine.apply({ index: 1, term: 1, ops: [put("greeting", "hello"), put("greeting", "hi")] });
console.log("revision after the batch:", first.revision); // 3: revisions start at 1

// Read the current value and the one at revision 2.
const now = await engine.range(etcdserverpb.RangeRequest.create({ key: Buffer.from("greeting") }));
const old = await engine.range(etcdserverpb.RangeRequest.create({ key: Buffer.from("greeting"), revision: 2 }));
console.log("now:", text(now.kvs[0]!.value), "at revision 2:", text(old.kvs[0]!.value));

// Watch from revision 2: the watcher catches up from the backend, then follows new batches.
const watchable = new WatchableStore(engine, { revision: first.revision, compactRevision: first.compactRevision });
const stream = watchable.newStream();
stream.watch(Buffer.from("greeting"), undefined, { startRevision: 2 });
const second = await engine.apply({ index: 2, term: 1, ops: [put("greeting", "hey")] });
watchable.notify(second.revision, second.events);
let seen = 0;
for await (const response of stream) {
  for (const event of response.events) console.log("event at revision", event.kv!.modRevision, text(event.kv!.value));
  seen += response.events.length;
  if (seen === 3) break;
}
stream.close();
await engine.close();
rmSync(dir, { recursive: true, force: true });
