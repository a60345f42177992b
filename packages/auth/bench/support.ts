/** Bench helpers: the package's API from src (no build needed) and a timing loop. */
export { AuthStore, MemoryAuthBackend, SimpleTokenProvider } from "../src/index.js";

/** authBench runs `round` (which performs `perRound` operations) for ~1 s after warm-up; returns the median ns/op of 5 rounds. */
export function authBench(round: () => void, perRound: number): number {
  for (let i = 0; i < 50; i++) round();
  const results: number[] = [];
  for (let r = 0; r < 5; r++) {
    let ops = 0;
    const start = performance.now();
    while (performance.now() - start < 200) {
      round();
      ops += perRound;
    }
    results.push(((performance.now() - start) * 1e6) / ops);
  }
  results.sort((a, b) => a - b);
  return results[2] as number;
}
