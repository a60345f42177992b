/**
 * RequestIdGenerator: the IDs a member gives its proposals (and, masked to 63 bits, the lease
 * IDs it picks), in etcd's shape (pkg/idutil):
 *
 *   | member ID, low 16 bits | start time, Unix ms, low 40 bits | counter, 8 bits |
 *
 * The low 48 bits start at the start time shifted left by 8 and count up by one per ID, the
 * counter carrying into the time bits and wrapping within the 48. So IDs differ between
 * members (the top bits), and a restarted member starts above every ID its previous run
 * handed out — unless that run averaged more than 256 IDs per millisecond since it started,
 * the limit etcd accepts too. A per-process counter would repeat its first IDs at every
 * restart, and an entry proposed before it could answer a request waiting after it.
 *
 * It does not persist anything: uniqueness rests on the clock moving forward between runs.
 */

const SUFFIX_BITS = 48n;
const TIME_BITS = 40n;
const COUNTER_BITS = SUFFIX_BITS - TIME_BITS;
const SUFFIX_MASK = (1n << SUFFIX_BITS) - 1n;
const TIME_MASK = (1n << TIME_BITS) - 1n;
const MEMBER_MASK = 0xffffn;

/** RequestIdGenerator hands out a member's request IDs. */
export class RequestIdGenerator {
  private readonly prefix: bigint;
  private suffix: bigint;

  /**
   * `memberId`'s low 16 bits go on top of every ID; `nowMs` (Unix milliseconds, default
   * `Date.now`) is read once, here: the start time the counter counts up from.
   */
  constructor(memberId: bigint, nowMs: () => number = Date.now) {
    this.prefix = (memberId & MEMBER_MASK) << SUFFIX_BITS;
    this.suffix = (BigInt(Math.floor(nowMs())) & TIME_MASK) << COUNTER_BITS;
  }

  /** next returns a new ID: one more than the last in the low 48 bits. */
  next(): bigint {
    this.suffix = (this.suffix + 1n) & SUFFIX_MASK;
    return this.prefix | this.suffix;
  }
}
