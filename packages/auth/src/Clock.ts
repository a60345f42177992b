/**
 * The clock the auth package reads: token expiry (simple tokens' TTL, JWT `exp`) is the only
 * use of time here. It is injected so that tests move time by hand and never sleep.
 */

/** Clock tells the current time. */
export interface Clock {
  /** now returns the current time in milliseconds since the Unix epoch. */
  now(): number;
}

/** systemClock is the wall clock (`Date.now()`), the default outside tests. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * ManualClock is a clock for tests: it stands still until {@link ManualClock.advance} or
 * {@link ManualClock.set} moves it.
 */
export class ManualClock implements Clock {
  #now: number;

  /** Creates a clock that reads `start` milliseconds since the epoch. */
  constructor(start = 0) {
    this.#now = start;
  }

  /** now returns the time the clock was last set to. */
  now(): number {
    return this.#now;
  }

  /** advance moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.#now += ms;
  }

  /** set moves the clock to `ms` milliseconds since the epoch. */
  set(ms: number): void {
    this.#now = ms;
  }
}
