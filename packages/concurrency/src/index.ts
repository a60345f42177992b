/**
 * @etcd-ts/concurrency — distributed coordination on etcd, with etcd's own key layouts so it
 * interoperates with `etcdctl lock` / `etcdctl elect` and Go's `clientv3/concurrency`:
 * Session (a kept-alive lease), Mutex, RWMutex, Election, STM (four isolation levels), and
 * the recipes Barrier, DoubleBarrier, Queue and PriorityQueue.
 *
 * @packageDocumentation
 */
export { Session, DEFAULT_SESSION_TTL } from "./Session.js";
export type { SessionOptions } from "./Session.js";
export { Mutex } from "./Mutex.js";
export { RWMutex } from "./RWMutex.js";
export { Election } from "./Election.js";
export { runSTM } from "./STM.js";
export type { Isolation, STM, STMOptions } from "./STM.js";
export { Barrier } from "./recipes/Barrier.js";
export { DoubleBarrier } from "./recipes/DoubleBarrier.js";
export { Queue } from "./recipes/Queue.js";
export { PriorityQueue } from "./recipes/PriorityQueue.js";
export { KeyExistsError } from "./internal/keys.js";
export {
  ElectionNoLeaderError,
  ElectionNotLeaderError,
  LockedError,
  STMRetriesExhaustedError,
  SessionExpiredError,
  TooManyClientsError,
} from "./errors.js";
