/**
 * The randomness the auth package uses: the 16-letter prefix of simple tokens. It is
 * injected so that tests can produce predictable tokens. Salts for bcrypt come from the
 * bcrypt library itself and are not routed through here.
 */
import { randomFillSync } from "node:crypto";

/** RandomSource fills fresh byte arrays with random bytes. */
export type RandomSource = (size: number) => Uint8Array;

/** cryptoRandom draws from node:crypto's CSPRNG, the default outside tests. */
export const cryptoRandom: RandomSource = (size) => randomFillSync(new Uint8Array(size));
