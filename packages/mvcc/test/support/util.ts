// Shared helpers for the mvcc tests: temporary backends, byte helpers, normalisation.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { etcdserverpb } from "@etcd-ts/api";
import { Backend } from "../../src/Backend.js";
import { KVStore } from "../../src/KVStore.js";
import type { KVStoreOptions } from "../../src/KVStore.js";

export const b = (s: string): Buffer => Buffer.from(s, "latin1");

export function tempDir(prefix = "mvcc-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function openStore(dir: string, options: KVStoreOptions = {}): KVStore {
  return KVStore.open(Backend.open(dir), options);
}

/** norm turns responses into plain comparable data (bytes as latin1 strings). */
export function norm(value: unknown): unknown {
  if (value instanceof Uint8Array) return `#${Buffer.from(value).toString("latin1")}`;
  if (Array.isArray(value)) return value.map(norm);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = norm(v);
    return out;
  }
  return value;
}

export const rangeReq = (init: Partial<etcdserverpb.RangeRequest>): etcdserverpb.RangeRequest => etcdserverpb.RangeRequest.create(init);
export const putReq = (init: Partial<etcdserverpb.PutRequest>): etcdserverpb.PutRequest => etcdserverpb.PutRequest.create(init);
export const delReq = (init: Partial<etcdserverpb.DeleteRangeRequest>): etcdserverpb.DeleteRangeRequest =>
  etcdserverpb.DeleteRangeRequest.create(init);
