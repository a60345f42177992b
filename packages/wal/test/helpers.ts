// Shared fixtures for the WAL tests: temporary directories and entry factories.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Entry } from "@etcd-ts/raft";

/** withTempDir runs `fn` with a fresh directory that is removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "wal-test-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** entries makes entries [from, to] of one term with recognisable data. */
export function entries(from: number, to: number, term = 1, size = 32): Entry[] {
  const out: Entry[] = [];
  for (let index = from; index <= to; index++) {
    const data = new Uint8Array(size).fill(index & 0xff);
    data[0] = term & 0xff;
    out.push({ term, index, type: 0, data });
  }
  return out;
}

/** summary turns entries into comparable "index@term" strings, checking the data too. */
export function summary(list: readonly Entry[]): string[] {
  return list.map((e) => {
    if (e.data.length > 1 && (e.data[0] !== (e.term & 0xff) || e.data[1] !== (e.index & 0xff))) return `${e.index}@${e.term}:bad-data`;
    return `${e.index}@${e.term}`;
  });
}

export const META = { nodeId: 0x8e9e05c52164694dn, clusterId: 0xcdf818194e3a8c32n };
