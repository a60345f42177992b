/**
 * @etcd-ts/wal/testing — test doubles for the WAL's file layer. FOR TESTS ONLY: nothing here
 * is used in production, and nothing here is durable (it lives in memory).
 *
 * `PowerCutDisk` is a disk that loses, on a power cut, every change not yet synced (or tears
 * the last one), so a test can check what a real power cut would leave — which a SIGKILL test
 * cannot, since the page cache outlives the process. Mount it with `disk.mount()` and pass
 * the result as the `fs` option of `Wal.create`, `Wal.open` and `new Snapshotter`.
 *
 * @packageDocumentation
 */
export { PowerCutDisk, PowerCutError, seeded } from "./PowerCutDisk.js";
export type { PowerCutDiskOptions, PowerCutMode, SyncRecord } from "./PowerCutDisk.js";
