/**
 * Workload: what one client of the load generator does per operation, for each
 * closed-loop command (put, range, txn-put, lease-keepalive, stm). A workload is set up
 * inside a load worker on that worker's connections; `op(n)` performs operation number `n`
 * (global across workers: sequential keys stay sequential) and throws on failure.
 *
 * Semantics follow etcd's benchmark except where noted: `txn-put` is a Kubernetes-style
 * guarded update (compare mod revision, then put; on a lost race read the key back), and
 * `lease-keepalive` keeps `--leases` leases alive over one keep-alive stream per client
 * instead of etcd's one lease per client.
 */
import { etcdserverpb as pb } from "@etcd-ts/api";
import { Client } from "@etcd-ts/client";
import { runSTM, type Isolation } from "@etcd-ts/concurrency";
import type { BidiStream, Connection } from "./Connection.js";
import { keyBytes, keyNumber, randomValue } from "./keys.js";

/** WorkloadSpec is a closed-loop command's parameters, as sent to the workers. */
export type WorkloadSpec =
  | { readonly kind: "put"; readonly keySize: number; readonly valSize: number; readonly keySpaceSize: number; readonly sequentialKeys: boolean }
  | { readonly kind: "range"; readonly key: string; readonly end: string; readonly serializable: boolean; readonly limit: number; readonly countOnly: boolean }
  | { readonly kind: "txn-put"; readonly keySize: number; readonly valSize: number; readonly txnOps: number }
  | { readonly kind: "lease-keepalive"; readonly leases: number; readonly ttl: number }
  | { readonly kind: "stm"; readonly keys: number; readonly keysPerTxn: number; readonly isolation: Isolation; readonly valSize: number };

/** ClientLoop is one simulated client: `op(n)` does operation n. */
export interface ClientLoop {
  op(n: number): Promise<void>;
}

/** WorkloadPlacement tells a worker which clients are its own. */
export interface WorkloadPlacement {
  /** connections of this worker; client i uses connections[i % length]. */
  readonly connections: readonly Connection[];
  /** clients of this worker. */
  readonly clients: number;
  /** firstClient is the global index of this worker's first client. */
  readonly firstClient: number;
  /** totalClients across all workers. */
  readonly totalClients: number;
}

/** Workload is a set-up workload: its clients, and how to release it. */
export interface Workload {
  readonly loops: readonly ClientLoop[];
  close(): Promise<void>;
}

const { KVService, LeaseService } = pb;

/** setupWorkload prepares `spec` for this worker's clients. */
export async function setupWorkload(spec: WorkloadSpec, place: WorkloadPlacement): Promise<Workload> {
  const conn = (i: number): Connection => place.connections[i % place.connections.length]!;
  const indices = Array.from({ length: place.clients }, (_, i) => i);
  switch (spec.kind) {
    case "put": {
      const value = randomValue(spec.valSize);
      const loops = indices.map((i) => ({
        op: async (n: number) => {
          await conn(i).unary(KVService.put, { key: keyBytes(keyNumber(n, spec.keySpaceSize, spec.sequentialKeys), spec.keySize), value });
        },
      }));
      return { loops, close: async () => {} };
    }
    case "range": {
      const request: Partial<pb.RangeRequest> = {
        key: Buffer.from(spec.key),
        ...(spec.end === "" ? {} : { rangeEnd: Buffer.from(spec.end) }),
        serializable: spec.serializable,
        limit: spec.limit,
        countOnly: spec.countOnly,
      };
      const encoded = pb.RangeRequest.create(request);
      const loops = indices.map((i) => ({ op: async () => void (await conn(i).unary(KVService.range, encoded)) }));
      return { loops, close: async () => {} };
    }
    case "txn-put": {
      const value = randomValue(spec.valSize);
      const loops = indices.map((i) => {
        const global = place.firstClient + i;
        const keys = Array.from({ length: spec.txnOps }, (_, j) => keyBytes(global * spec.txnOps + j, spec.keySize, "t"));
        const modRevisions = keys.map(() => 0);
        return {
          op: async () => {
            const res = await conn(i).unary(KVService.txn, {
              compare: keys.map((key, j) => ({
                key,
                target: pb.Compare_CompareTarget.MOD,
                result: pb.Compare_CompareResult.EQUAL,
                targetUnion: { $case: "modRevision" as const, modRevision: modRevisions[j]! },
              })),
              success: keys.map((key) => ({ request: { $case: "requestPut" as const, requestPut: { key, value } } })),
              failure: keys.map((key) => ({ request: { $case: "requestRange" as const, requestRange: { key } } })),
            });
            if (res.succeeded) {
              const revision = res.header?.revision ?? 0;
              modRevisions.fill(revision);
              return;
            }
            res.responses.forEach((r, j) => {
              if (r.response?.$case === "responseRange") modRevisions[j] = r.response.responseRange.kvs[0]?.modRevision ?? 0;
            });
            throw new Error("txn-put: compare failed (concurrent update)");
          },
        };
      });
      return { loops, close: async () => {} };
    }
    case "lease-keepalive": {
      // Leases are spread over all clients: client c keeps alive leases c, c+C, c+2C, ...
      const perClient = indices.map((i) => {
        const global = place.firstClient + i;
        let count = 0;
        for (let l = global; l < spec.leases; l += place.totalClients) count++;
        return Math.max(1, count);
      });
      const leaseIds = await Promise.all(
        indices.map(async (i) => {
          const ids: bigint[] = [];
          for (let k = 0; k < perClient[i]!; k++) ids.push((await conn(i).unary(LeaseService.leaseGrant, { TTL: spec.ttl })).ID);
          return ids;
        }),
      );
      const streams: BidiStream<pb.LeaseKeepAliveRequest, pb.LeaseKeepAliveResponse>[] = [];
      const loops = indices.map((i) => {
        const stream = conn(i).bidi(LeaseService.leaseKeepAlive);
        streams.push(stream);
        const ids = leaseIds[i]!;
        let next = 0;
        return {
          op: async () => {
            const ID = ids[next++ % ids.length]!;
            stream.send({ ID });
            const res = await stream.next();
            if (res.TTL <= 0) throw new Error("etcdserver: requested lease not found");
          },
        };
      });
      return {
        loops,
        close: () => {
          for (const stream of streams) stream.close();
          return Promise.resolve();
        },
      };
    }
    case "stm": {
      const clients = place.connections.map((c) => new Client({ endpoints: [c.endpoint] }));
      const value = "x".repeat(spec.valSize);
      const loops = indices.map((i) => {
        const client = clients[i % clients.length]!;
        return {
          op: async () => {
            const keys = new Set<string>();
            while (keys.size < Math.min(spec.keysPerTxn, spec.keys)) keys.add(Buffer.from(keyBytes(Math.floor(Math.random() * spec.keys), 8, "stm/")).toString());
            await runSTM(
              client,
              async (stm) => {
                for (const key of keys) {
                  await stm.get(key);
                  stm.put(key, value);
                }
              },
              { isolation: spec.isolation },
            );
          },
        };
      });
      return { loops, close: async () => void (await Promise.all(clients.map((c) => c.close()))) };
    }
  }
}
