/** Shared set-up for tests: a store over an in-memory backend, a fake clock, cheap bcrypt. */
import { AuthStore } from "../../src/AuthStore.js";
import { ManualClock } from "../../src/Clock.js";
import { MemoryAuthBackend } from "../../src/MemoryAuthBackend.js";
import { SimpleTokenProvider } from "../../src/SimpleTokens.js";
import type { TokenProvider } from "../../src/TokenProvider.js";

/** b encodes a string as bytes. */
export const b = (s: string): Uint8Array => new TextEncoder().encode(s);

/** counterRandom returns predictable "random" bytes. */
export function counterRandom(): (size: number) => Uint8Array {
  let n = 0;
  return (size) => Uint8Array.from({ length: size }, () => n++ % 256);
}

/** Fixture is what {@link makeStore} returns. */
export interface Fixture {
  store: AuthStore;
  backend: MemoryAuthBackend;
  clock: ManualClock;
  tokens: TokenProvider;
  /** index is the next raft index handed to authenticate(). */
  nextIndex(): number;
}

/** makeStore opens a store with simple tokens, bcrypt cost 4 and a clock at 1 000 000 ms. */
export function makeStore(options: { backend?: MemoryAuthBackend; tokens?: TokenProvider; clock?: ManualClock } = {}): Fixture {
  const clock = options.clock ?? new ManualClock(1_000_000);
  const backend = options.backend ?? new MemoryAuthBackend();
  const tokens = options.tokens ?? new SimpleTokenProvider({ clock, random: counterRandom() });
  const store = new AuthStore({ backend, tokenProvider: tokens, bcryptCost: 4 });
  let index = 100;
  return { store, backend, clock, tokens, nextIndex: () => index++ };
}

/** enableAuth creates root (password "rootpw") with the root role and enables auth. */
export function enableAuth(store: AuthStore): void {
  store.userAdd({ name: "root", password: "rootpw", hashedPassword: "" });
  store.userGrantRole({ user: "root", role: "root" });
  store.authEnable();
}

/** login checks the password and applies Authenticate, as the server does. */
export async function login(f: Fixture, name: string, password: string): Promise<string> {
  await f.store.checkPassword(name, password);
  return f.store.authenticate(name, { index: f.nextIndex(), simpleTokenPrefix: f.store.genTokenPrefix() }).token;
}
