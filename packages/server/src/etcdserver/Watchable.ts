/**
 * Watchable: what the Watch service sees of a member — etcd's Watchable() plus the watch
 * permission check: streams of watchers over the member's watchable store, the store's
 * current revision for control responses, and the knobs the service needs.
 */
import type { WatchStream } from "@etcd-ts/mvcc";

/** Watchable opens watch streams and checks watchers. */
export interface Watchable {
  /** newWatchStream opens a stream of watchers sharing one response buffer. */
  newWatchStream(): WatchStream;
  /** currentRevision is the revision the watchable store has reached. */
  readonly currentRevision: number;
  /**
   * checkWatch refuses (throws PermissionDeniedError, or the token's error) a watcher of
   * [key, rangeEnd) its caller may not read; with auth disabled it resolves the caller not at all.
   */
  checkWatch(metadata: Readonly<Record<string, string>>, key: Uint8Array, rangeEnd: Uint8Array): Promise<void>;
  /** watchProgressNotifyIntervalMs: how often quiet progress-notify watchers hear the revision. */
  readonly watchProgressNotifyIntervalMs: number;
  /** maxRequestBytes bounds a fragment of a fragmenting watcher's response. */
  readonly maxRequestBytes: number;
}
