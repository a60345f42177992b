/**
 * A B+tree from strings to values, ordered by JavaScript string comparison.
 *
 * The key index stores keys as latin1 strings (one char per byte), so string order is
 * byte order. Leaves hold parallel `keys` / `values` arrays and link to the next leaf, so a
 * range scan is a binary search plus a walk along leaves. Inner nodes hold the smallest key
 * of each child.
 *
 * Deletion removes empty nodes but does not rebalance underfull ones: the index only
 * deletes during compaction, and an underfull node costs a little memory, not correctness.
 * Not thread-safe; not persistent.
 */

const MAX_NODE = 64;

interface Leaf<V> {
  leaf: true;
  keys: string[];
  values: V[];
  next: Leaf<V> | undefined;
  prev: Leaf<V> | undefined;
}

interface Inner<V> {
  leaf: false;
  keys: string[];
  children: Node<V>[];
}

type Node<V> = Leaf<V> | Inner<V>;

/** lowerBound returns the first index i with keys[i] >= key. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** childIndex returns the child of an inner node whose subtree may hold key. */
function childIndex(keys: readonly string[], key: string): number {
  // last i with keys[i] <= key, or 0
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : lo - 1;
}

/** BTree maps strings to values in key order. */
export class BTree<V> {
  private root: Node<V> = { leaf: true, keys: [], values: [], next: undefined, prev: undefined };
  private count = 0;

  /** size is the number of keys in the tree. */
  get size(): number {
    return this.count;
  }

  /** get returns the value stored under key, if any. */
  get(key: string): V | undefined {
    let node = this.root;
    while (!node.leaf) node = node.children[childIndex(node.keys, key)]!;
    const i = lowerBound(node.keys, key);
    return node.keys[i] === key ? node.values[i] : undefined;
  }

  /** set stores value under key, replacing any value already there. */
  set(key: string, value: V): void {
    const split = this.insert(this.root, key, value);
    if (split !== undefined) {
      this.root = { leaf: false, keys: [this.root.keys[0]!, split.keys[0]!], children: [this.root, split] };
    }
  }

  /** delete removes key; it returns whether the key was there. */
  delete(key: string): boolean {
    const removed = this.remove(this.root, key);
    if (removed) {
      this.count--;
      while (!this.root.leaf && this.root.children.length === 1) this.root = this.root.children[0]!;
      if (!this.root.leaf && this.root.children.length === 0) {
        this.root = { leaf: true, keys: [], values: [], next: undefined, prev: undefined };
      }
    }
    return removed;
  }

  /**
   * forEachInRange visits keys in [from, to) in ascending order (`to` undefined: no upper
   * bound) until the visitor returns false.
   */
  forEachInRange(from: string, to: string | undefined, visit: (key: string, value: V) => boolean | void): void {
    let node = this.root;
    while (!node.leaf) node = node.children[childIndex(node.keys, from)]!;
    let leaf: Leaf<V> | undefined = node;
    let i = lowerBound(leaf.keys, from);
    while (leaf !== undefined) {
      const keys = leaf.keys;
      for (; i < keys.length; i++) {
        const key = keys[i]!;
        if (to !== undefined && key >= to) return;
        if (visit(key, leaf.values[i]!) === false) return;
      }
      leaf = leaf.next;
      i = 0;
    }
  }

  /** forEach visits every key in ascending order. */
  forEach(visit: (key: string, value: V) => void): void {
    this.forEachInRange("", undefined, visit);
  }

  private insert(node: Node<V>, key: string, value: V): Node<V> | undefined {
    if (node.leaf) {
      const i = lowerBound(node.keys, key);
      if (node.keys[i] === key) {
        node.values[i] = value;
        return undefined;
      }
      node.keys.splice(i, 0, key);
      node.values.splice(i, 0, value);
      this.count++;
      if (node.keys.length <= MAX_NODE) return undefined;
      const half = node.keys.length >>> 1;
      const right: Leaf<V> = { leaf: true, keys: node.keys.splice(half), values: node.values.splice(half), next: node.next, prev: node };
      if (node.next !== undefined) node.next.prev = right;
      node.next = right;
      return right;
    }
    const c = childIndex(node.keys, key);
    const child = node.children[c]!;
    const split = this.insert(child, key, value);
    if (key < node.keys[c]!) node.keys[c] = key;
    if (split === undefined) return undefined;
    node.keys.splice(c + 1, 0, split.keys[0]!);
    node.children.splice(c + 1, 0, split);
    if (node.children.length <= MAX_NODE) return undefined;
    const half = node.children.length >>> 1;
    return { leaf: false, keys: node.keys.splice(half), children: node.children.splice(half) };
  }

  private remove(node: Node<V>, key: string): boolean {
    if (node.leaf) {
      const i = lowerBound(node.keys, key);
      if (node.keys[i] !== key) return false;
      node.keys.splice(i, 1);
      node.values.splice(i, 1);
      return true;
    }
    const c = childIndex(node.keys, key);
    const child = node.children[c]!;
    if (!this.remove(child, key)) return false;
    if (child.keys.length === 0) {
      if (child.leaf) {
        // unlink the empty leaf from its neighbours
        if (child.prev !== undefined) child.prev.next = child.next;
        if (child.next !== undefined) child.next.prev = child.prev;
      }
      node.keys.splice(c, 1);
      node.children.splice(c, 1);
    } else {
      node.keys[c] = child.keys[0]!;
    }
    return true;
  }
}
