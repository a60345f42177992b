/**
 * The Election service (`v3electionpb.Election`): leader election as etcd serves it, by
 * running the election recipe (clientv3/concurrency's Election) against the member itself.
 *
 * An election `<name>` is the set of keys under `<name>/`; the leader is the oldest of them
 * (lowest create revision).
 * - Campaign(name, lease, value): puts `<name>/<lease in hex>` = value bound to the lease
 *   (a session already campaigning keeps its key; a new value is proclaimed on it), then
 *   waits until every older key is gone and answers with the LeaderKey {name, key, rev =
 *   the key's create revision, lease}. A campaign given up while waiting resigns.
 * - Proclaim(leader, value): sets the leader's value, if its key still has that create
 *   revision ("election: not leader" otherwise).
 * - Resign(leader): deletes the leader's key, if its key still has that create revision;
 *   answers OK either way.
 * - Leader(name): the oldest key ("election: no leader" when there is none).
 * - Observe(name): streams the leader's KV now and on every change: each new value of the
 *   leader's key, and the next leader once the key goes. With no leader it waits for the
 *   first key put under the prefix.
 *
 * Limits, as etcd's: leadership lasts as long as the lease, which the service never keeps
 * alive; lease 0 gets a fresh 60 s lease (in Proclaim and Resign too, as etcd does). Errors
 * travel as status Unknown with etcd's texts (see LocalClient). Observe ends with status OK,
 * without a word, when it cannot go on (its watch compacted, a read refused, the member stopping).
 */
import { mvccpb, v3electionpb, type etcdserverpb as pb, type PartialMessage } from "@etcd-ts/api";
import type { EtcdServer } from "../etcdserver/EtcdServer.js";
import type { GrpcServer, StreamCall } from "../grpc/GrpcServer.js";
import { asRecipeError, leaseKey, LocalClient, Ops, RecipeError, rangeOf, sameBytes, withSlash } from "./internal/LocalClient.js";

/** ErrElectionNotLeader's text: the leader key is gone or was recreated. */
const NOT_LEADER = "election: not leader";
/** ErrElectionNoLeader's text: the election has no key. */
const NO_LEADER = "election: no leader";
/** ErrMissingLeaderKey's text: Proclaim or Resign came without a LeaderKey. */
const MISSING_LEADER_KEY = '"leader" field must be provided';

/** registerElection adds the Election service of `server` to a gRPC server. */
export function registerElection(grpc: GrpcServer, server: EtcdServer): void {
  const S = v3electionpb.ElectionService;

  grpc.addUnary(S.campaign, async (request, call) => {
    try {
      return await campaign(await LocalClient.forCall(server, call.metadata), request, call.signal);
    } catch (error) {
      throw asRecipeError(error, call.signal);
    }
  });

  grpc.addUnary(S.proclaim, async (request, call) => {
    try {
      const leader = request.leader;
      if (leader === undefined) throw new RecipeError(MISSING_LEADER_KEY);
      const client = await LocalClient.forCall(server, call.metadata);
      const lease = await client.sessionLease(leader.lease, call.signal);
      return { header: await proclaim(client, leader.key, leader.rev, lease, request.value, call.signal) };
    } catch (error) {
      throw asRecipeError(error, call.signal);
    }
  });

  grpc.addUnary(S.resign, async (request, call) => {
    try {
      const leader = request.leader;
      if (leader === undefined) throw new RecipeError(MISSING_LEADER_KEY);
      const client = await LocalClient.forCall(server, call.metadata);
      await client.sessionLease(leader.lease, call.signal);
      return { header: await resign(client, leader.key, leader.rev, call.signal) };
    } catch (error) {
      throw asRecipeError(error, call.signal);
    }
  });

  grpc.addUnary(S.leader, async (request, call) => {
    try {
      const client = await LocalClient.forCall(server, call.metadata);
      const response = await client.get(Ops.firstCreate(withSlash(request.name)));
      const kv = response.kvs[0];
      if (kv === undefined) throw new RecipeError(NO_LEADER);
      return { header: response.header, kv };
    } catch (error) {
      throw asRecipeError(error, call.signal);
    }
  });

  grpc.addStream(S.observe, async (call) => {
    let request: v3electionpb.LeaderRequest | undefined;
    for await (const r of call) {
      request = r;
      break;
    }
    if (request === undefined) return;
    try {
      await observe(await LocalClient.forCall(server, call.metadata), server, withSlash(request.name), call);
    } catch {
      // Cancelled, or the observer failed: etcd's observer then closes its channel and
      // Observe returns OK, so the call ends without an error of its own.
    }
  });
}

/** campaign runs the election recipe's Campaign for one request. */
async function campaign(client: LocalClient, request: v3electionpb.CampaignRequest, signal: AbortSignal): Promise<PartialMessage<v3electionpb.CampaignResponse>> {
  const lease = await client.sessionLease(request.lease, signal);
  const prefix = withSlash(request.name);
  const key = leaseKey(prefix, lease);
  const txn = await client.txn(
    {
      compare: [Ops.createRevisionIs(key, 0)],
      success: [Ops.put(key, request.value, lease)],
      failure: [Ops.get({ key })],
    },
    signal,
  );
  let rev = txn.header?.revision ?? 0;
  if (!txn.succeeded) {
    // Our session's key already exists (a campaign resumed): keep its place, proclaim the value.
    const existing = rangeOf(txn, 0).kvs[0];
    rev = existing?.createRevision ?? rev;
    if (existing !== undefined && !sameBytes(existing.value, request.value)) {
      try {
        await proclaim(client, key, rev, lease, request.value, signal);
      } catch (error) {
        await resign(client, key, rev, signal).catch(() => undefined);
        throw error;
      }
    }
  }
  try {
    await client.waitDeletes(prefix, rev - 1, signal);
  } catch (error) {
    // Given up by the caller: step out of the election (etcd resigns with the client's context).
    if (signal.aborted) await resign(client, key, rev).catch(() => undefined);
    throw error;
  }
  // The header is the campaign Txn's, as etcd's (not that of the wait's last read).
  return { header: txn.header, leader: { name: request.name, key, rev, lease } };
}

/** proclaim puts a new value on the leader key if it still has create revision `rev`. */
async function proclaim(client: LocalClient, key: Uint8Array, rev: number, lease: bigint, value: Uint8Array, signal?: AbortSignal): Promise<pb.ResponseHeader | undefined> {
  const txn = await client.txn({ compare: [Ops.createRevisionIs(key, rev)], success: [Ops.put(key, value, lease)] }, signal);
  if (!txn.succeeded) throw new RecipeError(NOT_LEADER);
  return txn.header;
}

/** resign deletes the leader key if it still has create revision `rev`. */
async function resign(client: LocalClient, key: Uint8Array, rev: number, signal?: AbortSignal): Promise<pb.ResponseHeader | undefined> {
  const txn = await client.txn({ compare: [Ops.createRevisionIs(key, rev)], success: [Ops.delete(key)] }, signal);
  return txn.header;
}

/**
 * observe streams the leader of the election under `prefix` until the call ends: the
 * current leader (or the first key put when there is none), then every put on its key, and
 * again from the top once the key is deleted.
 */
async function observe(client: LocalClient, server: EtcdServer, prefix: Uint8Array, call: StreamCall<v3electionpb.LeaderRequest, v3electionpb.LeaderResponse>): Promise<void> {
  const { signal } = call;
  const send = async (response: PartialMessage<v3electionpb.LeaderResponse>): Promise<void> => {
    if (!call.send(response)) await call.drained();
  };
  for (;;) {
    signal.throwIfAborted();
    const current = await client.get(Ops.firstCreate(prefix));
    let header = current.header;
    let kv = current.kvs[0];
    if (kv === undefined) {
      // No leader: the first key put under the prefix is (the first sign of) one.
      for await (const response of client.watch(prefix, Ops.firstCreate(prefix).rangeEnd, current.header?.revision ?? 0, signal)) {
        const put = response.events.find((event) => event.type === mvccpb.Event_EventType.PUT);
        if (put?.kv !== undefined) {
          kv = put.kv;
          header = server.header(put.kv.modRevision);
          break;
        }
      }
      if (kv === undefined) return;
    }
    await send({ header, kv });

    // Follow the leader's key: each put is news, its deletion means a new leader.
    let deleted = false;
    for await (const response of client.watch(kv.key, undefined, (header?.revision ?? 0) + 1, signal)) {
      for (const event of response.events) {
        if (event.type === mvccpb.Event_EventType.DELETE) {
          deleted = true;
          break;
        }
        await send({ header: server.header(response.revision), kv: event.kv });
      }
      if (deleted) break;
    }
    if (!deleted) return;
  }
}
