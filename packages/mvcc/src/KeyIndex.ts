/**
 * KeyIndex: the revision history of one key, as generations.
 *
 * A generation is the life of a key from its creation to its deletion: the revision that
 * created it, its version (number of puts in the generation, counting from the first),
 * and the revisions of its changes, the last of which is the tombstone if the key was
 * deleted. A deleted key ends with an empty generation, ready for a re-creation.
 * This is etcd's `keyIndex` (`mvcc/key_index.go`); the semantics are the same.
 *
 * Representation (for memory: the index holds one of these per key in the store): one flat
 * array of numbers, the generations one after another, each as
 * `[created, version, count, main1, sub1, ..., mainN, subN]`. A key with one live revision
 * costs five numbers. The functions here are pure over that array; {@link put} and
 * {@link tombstone} return the (possibly new) array to store.
 *
 * Not here: keys themselves (the {@link TreeIndex} holds them), values (the backend does).
 */

/** KeyHistory is the flat encoding of a key's generations, described in the module comment. */
export type KeyHistory = number[];

/** KeyRevision is what a lookup of a key at a revision finds. */
export interface KeyRevision {
  /** modMain is the main revision of the change visible at the asked revision. */
  readonly modMain: number;
  /** modSub is its sub revision. */
  readonly modSub: number;
  /** created is the main revision that created the key's current generation. */
  readonly created: number;
  /** version is the key's version at that change (1 for the creating put). */
  readonly version: number;
}

/** RevisionNotFoundError is raised when a key has no live revision where one is required. */
export class RevisionNotFoundError extends Error {
  constructor() {
    super("mvcc: revision not found");
    this.name = "RevisionNotFoundError";
  }
}

const HEADER = 3;

/** createKeyHistory starts the history of a key created at (main, sub). */
export function createKeyHistory(main: number, sub: number): KeyHistory {
  return [main, 1, 1, main, sub];
}

/**
 * restoredKeyHistory starts the history of a key from a stored revision when the index is
 * rebuilt: the generation was created at `created` and the change has version `version`.
 */
export function restoredKeyHistory(created: number, version: number, main: number, sub: number): KeyHistory {
  return [created, version, 1, main, sub];
}

/** lastGeneration returns the offset of the last generation. */
function lastGeneration(history: KeyHistory): number {
  let offset = 0;
  for (;;) {
    const next = offset + HEADER + 2 * history[offset + 2]!;
    if (next >= history.length) return offset;
    offset = next;
  }
}

/** generationOffsets lists the offsets of all generations, first to last. */
function generationOffsets(history: KeyHistory): number[] {
  const offsets: number[] = [];
  for (let offset = 0; offset < history.length; offset += HEADER + 2 * history[offset + 2]!) offsets.push(offset);
  return offsets;
}

/** isEmptyHistory tells whether a history holds nothing: one empty generation. */
export function isEmptyHistory(history: KeyHistory): boolean {
  return history.length === HEADER && history[2] === 0;
}

function append(history: KeyHistory, main: number, sub: number): KeyHistory {
  // Small histories are copied to exact size (memory); long ones grow in place (time).
  if (history.length < 32) return history.concat(main, sub);
  history.push(main, sub);
  return history;
}

/**
 * put records a change of the key at (main, sub), creating a new generation's first revision
 * if the key is not live. Revisions must be given in increasing order.
 */
export function put(history: KeyHistory, main: number, sub: number): KeyHistory {
  const last = lastGeneration(history);
  const out = append(history, main, sub);
  if (out[last + 2] === 0) out[last] = main;
  out[last + 1]!++;
  out[last + 2]!++;
  return out;
}

/**
 * tombstone records the deletion of a live key at (main, sub) and opens an empty generation.
 * It throws {@link RevisionNotFoundError} if the key is not live.
 */
export function tombstone(history: KeyHistory, main: number, sub: number): KeyHistory {
  const last = lastGeneration(history);
  if (history[last + 2] === 0) throw new RevisionNotFoundError();
  const out = put(history, main, sub);
  if (out.length < 32) return out.concat(0, 0, 0);
  out.push(0, 0, 0);
  return out;
}

/** findGeneration returns the offset of the generation live at atRev, or -1. */
function findGeneration(history: KeyHistory, atRev: number): number {
  const offsets = history.length === HEADER + 2 * history[2]! ? [0] : generationOffsets(history);
  const lastIndex = offsets.length - 1;
  for (let index = lastIndex; index >= 0; index--) {
    const offset = offsets[index]!;
    const count = history[offset + 2]!;
    if (count === 0) continue;
    if (index !== lastIndex) {
      const tomb = history[offset + HEADER + 2 * (count - 1)]!;
      if (tomb <= atRev) return -1;
    }
    if (history[offset + HEADER]! <= atRev) return offset;
  }
  return -1;
}

/**
 * get returns the change of the key visible at revision atRev, or undefined if the key did
 * not exist (or was deleted) at atRev.
 */
export function get(history: KeyHistory, atRev: number): KeyRevision | undefined {
  const offset = findGeneration(history, atRev);
  if (offset < 0) return undefined;
  const count = history[offset + 2]!;
  for (let i = count - 1; i >= 0; i--) {
    const main = history[offset + HEADER + 2 * i]!;
    if (main <= atRev) {
      return {
        modMain: main,
        modSub: history[offset + HEADER + 2 * i + 1]!,
        created: history[offset]!,
        version: history[offset + 1]! - (count - 1 - i),
      };
    }
  }
  return undefined;
}

/**
 * visibleRevisionOffset is {@link get} for callers that need only the visible revision: it returns the
 * offset of the (main, sub) pair in history, or -1. Avoids an allocation on the range path.
 */
export function visibleRevisionOffset(history: KeyHistory, atRev: number): number {
  const offset = findGeneration(history, atRev);
  if (offset < 0) return -1;
  const count = history[offset + 2]!;
  for (let i = count - 1; i >= 0; i--) {
    const at = offset + HEADER + 2 * i;
    if (history[at]! <= atRev) return at;
  }
  return -1;
}

interface Generation {
  created: number;
  version: number;
  revs: number[]; // flat main/sub pairs
}

function decode(history: KeyHistory): Generation[] {
  return generationOffsets(history).map((offset) => ({
    created: history[offset]!,
    version: history[offset + 1]!,
    revs: history.slice(offset + HEADER, offset + HEADER + 2 * history[offset + 2]!),
  }));
}

function encode(generations: readonly Generation[]): KeyHistory {
  const out: number[] = [];
  for (const g of generations) out.push(g.created, g.version, g.revs.length / 2, ...g.revs);
  return out.slice(); // exact size
}

/** revisionId names a revision in the `available` sets of compaction. */
export function revisionId(main: number, sub: number): string {
  return `${main}_${sub}`;
}

function doCompact(generations: Generation[], atRev: number, available: Set<string>): [number, number] {
  let genIndex = 0;
  let g = generations[0]!;
  while (genIndex < generations.length - 1) {
    const tomb = g.revs[g.revs.length - 2]!;
    if (tomb > atRev) break;
    genIndex++;
    g = generations[genIndex]!;
  }
  // walk back to the last revision at or below atRev
  let revIndex = -1;
  for (let i = g.revs.length / 2 - 1; i >= 0; i--) {
    const main = g.revs[2 * i]!;
    if (main <= atRev) {
      available.add(revisionId(main, g.revs[2 * i + 1]!));
      revIndex = i;
      break;
    }
  }
  return [genIndex, revIndex];
}

/**
 * compact drops what compaction at atRev makes unreachable: generations deleted at or
 * before atRev and, in the generation live at atRev, the revisions older than the last one
 * at or below atRev (a lone tombstone goes too). The revisions that stay and are at or
 * below atRev are added to `available` (the backend keeps exactly those). Returns the new
 * history, which may be empty ({@link isEmptyHistory}): the caller drops the key then.
 */
export function compact(history: KeyHistory, atRev: number, available: Set<string>): KeyHistory {
  const generations = decode(history);
  const [firstGen, revIndex] = doCompact(generations, atRev, available);
  let genIndex = firstGen;
  const g = generations[genIndex]!;
  if (g.revs.length > 0) {
    if (revIndex !== -1) g.revs = g.revs.slice(2 * revIndex);
    if (g.revs.length === 2 && genIndex !== generations.length - 1) {
      available.delete(revisionId(g.revs[0]!, g.revs[1]!));
      genIndex++;
    }
  }
  return encode(generations.slice(genIndex));
}

/** keep adds to `available` the revisions compaction at atRev would keep, changing nothing. */
export function keep(history: KeyHistory, atRev: number, available: Set<string>): void {
  if (isEmptyHistory(history)) return;
  const generations = decode(history);
  const [genIndex, revIndex] = doCompact(generations, atRev, available);
  const g = generations[genIndex]!;
  if (g.revs.length > 0 && revIndex === g.revs.length / 2 - 1 && genIndex !== generations.length - 1) {
    available.delete(revisionId(g.revs[2 * revIndex]!, g.revs[2 * revIndex + 1]!));
  }
}
