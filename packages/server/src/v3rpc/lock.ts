/**
 * The Lock service (`v3lockpb.Lock`): distributed mutexes as etcd serves them, by running
 * the mutex recipe (clientv3/concurrency's Mutex) against the member itself.
 *
 * Lock(name, lease): the caller's key is `<name>/<lease in hex>`, written with one Txn —
 * created (bound to the lease) if absent, else reused, so a session that already holds or
 * waits for the lock keeps its place — together with a look at the oldest key under
 * `<name>/`. The caller holds the lock when its key is the oldest; otherwise it waits, key
 * by key, until every older key is deleted (unlocked, or gone with its lease), and the
 * response comes then. A caller that gives up while waiting (cancel, deadline) loses its
 * key. Unlock(key) deletes the key.
 *
 * Limits, as etcd's: the lock lasts as long as the lease; the service keeps no lease alive.
 * A request with lease 0 gets a fresh 60 s lease, which then expires. Errors travel as
 * status Unknown with etcd's texts (see LocalClient).
 *
 * One deliberate difference from etcd 3.4: a waiter whose own key vanished while it waited
 * (its lease expired) is refused with "mutex: session is expired", as etcd 3.5 does, where
 * 3.4 would answer as if it held the lock.
 */
import { v3lockpb, type etcdserverpb as pb, type PartialMessage } from "@etcd-ts/api";
import type { EtcdServer } from "../etcdserver/EtcdServer.js";
import type { GrpcServer } from "../grpc/GrpcServer.js";
import { asRecipeError, leaseKey, LocalClient, Ops, RecipeError, rangeOf, withSlash } from "./internal/LocalClient.js";

/** SESSION_EXPIRED is etcd 3.5's ErrSessionExpired text: the waiter's key is gone. */
const SESSION_EXPIRED = "mutex: session is expired";

/** registerLock adds the Lock service of `server` to a gRPC server. */
export function registerLock(grpc: GrpcServer, server: EtcdServer): void {
  const S = v3lockpb.LockService;

  grpc.addUnary(S.lock, async (request, call) => {
    try {
      const client = await LocalClient.forCall(server, call.metadata);
      return await lock(client, request, call.signal);
    } catch (error) {
      throw asRecipeError(error, call.signal);
    }
  });

  grpc.addUnary(S.unlock, async (request, call) => {
    try {
      const client = await LocalClient.forCall(server, call.metadata);
      const response = await client.delete(request.key, call.signal);
      return { header: response.header };
    } catch (error) {
      throw asRecipeError(error, call.signal);
    }
  });
}

/** lock runs the mutex recipe for one Lock request. */
async function lock(client: LocalClient, request: v3lockpb.LockRequest, signal: AbortSignal): Promise<PartialMessage<v3lockpb.LockResponse>> {
  const lease = await client.sessionLease(request.lease, signal);
  const prefix = withSlash(request.name);
  const key = leaseKey(prefix, lease);
  const owner = Ops.get(Ops.firstCreate(prefix));
  const txn = await client.txn(
    {
      compare: [Ops.createRevisionIs(key, 0)],
      success: [Ops.put(key, new Uint8Array(0), lease), owner],
      failure: [Ops.get({ key }), owner],
    },
    signal,
  );
  const header = txn.header;
  let createRevision = header?.revision ?? 0;
  if (!txn.succeeded) createRevision = rangeOf(txn, 0).kvs[0]?.createRevision ?? createRevision;
  const oldest = rangeOf(txn, 1).kvs[0];
  if (oldest === undefined || oldest.createRevision === createRevision) return { header, key };

  let mine: pb.RangeResponse;
  try {
    await client.waitDeletes(prefix, createRevision - 1, signal);
    mine = await client.get({ key });
  } catch (error) {
    // Give up our place in the queue, whatever stopped the wait (etcd unlocks with the client's context).
    await client.delete(key).catch(() => undefined);
    throw error;
  }
  // The lock is ours only if our key outlived the wait (etcd 3.5's check).
  if (mine.kvs.length === 0) throw new RecipeError(SESSION_EXPIRED);
  return { header: mine.header, key };
}
