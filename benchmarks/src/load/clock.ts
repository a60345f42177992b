/**
 * clock: wall-clock time in microseconds with sub-millisecond resolution, comparable
 * across the worker threads of one process (each thread's `performance.timeOrigin` differs,
 * their sum with `performance.now()` does not). Used to time watch events end to end.
 */

/** nowMicros is the current time in µs since the epoch, with sub-ms resolution. */
export function nowMicros(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}
