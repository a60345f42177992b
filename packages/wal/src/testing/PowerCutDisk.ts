/**
 * PowerCutDisk: an in-memory disk for tests, which loses on `powerCut()` what a machine can
 * lose when its power goes — unlike SIGKILL, after which the page cache still reaches the disk.
 * FOR TESTS ONLY (published as `@etcd-ts/wal/testing`); nothing in production uses it.
 *
 * Model (the durability contract of `WalFileSystem`, taken at its word):
 * - A file has its content as reads see it (the page cache) and its durable content, as of its
 *   last `fdatasync` or `sync`. Writes and truncations in between are pending.
 * - A directory has its entries as `readdir` sees them and its durable entries, as of its last
 *   `fsyncDir`. Creating, renaming, removing a name (and `mkdir`) is pending until then.
 * - `powerCut()`: every directory reachable from the root through durable entries gets its
 *   durable entries back; everything reachable only through pending names is gone. Every file
 *   left gets its durable content back — in mode "drop", nothing more; in mode "tear", also
 *   its pending changes in order up to a random one, which is cut at a random byte (a write)
 *   or kept or not (a truncation): a torn last write. The randomness is seeded.
 *   Locks are released, and every file system mounted before the cut is dead: its calls, and
 *   the callbacks of calls in flight, fail with PowerCutError and change nothing.
 * - Each call takes effect when it is made and reports back on a later turn of the event loop
 *   (as libuv does), so a cut can fall between a write and its callback; `cutAfter(n)` cuts the
 *   power at the n-th call that changes the disk from now, to place a cut inside an operation.
 *
 * Limits: one root, absolute POSIX paths; no permissions, links, sparse accounting or ENOSPC;
 * a pending rename is kept or lost whole (never both names, never neither); a file's name and
 * its content are independent (a synced file whose name was never made durable vanishes).
 */
import { posix } from "node:path";
import type { DirLock } from "../FileLock.js";
import type { OpenFlags, WalFile, WalFileSystem } from "../FileSystem.js";
import { WalLockedError } from "../errors.js";

/** PowerCutMode says what a power cut leaves of unsynced changes: nothing, or a torn prefix. */
export type PowerCutMode = "drop" | "tear";

/** PowerCutDiskOptions configures a PowerCutDisk. */
export interface PowerCutDiskOptions {
  /** mode is "drop" (every unsynced change is lost, the default) or "tear". */
  readonly mode?: PowerCutMode;
  /** seed drives the choices of "tear" mode (default 1). */
  readonly seed?: number;
}

/** SyncRecord is one sync call the disk saw, with the path of what was synced at that moment. */
export interface SyncRecord {
  readonly kind: "fdatasync" | "fsync" | "fsyncDir";
  readonly path: string;
}

/** PowerCutError is the failure of every call made, or still in flight, across a power cut. */
export class PowerCutError extends Error {
  override name = "PowerCutError";
  constructor(
    /** operation names the call that did not happen (or whose outcome was never heard). */
    readonly operation: string,
  ) {
    super(`power cut: ${operation} did not happen`);
  }
}

type Change = { readonly kind: "write"; readonly position: number; readonly bytes: Uint8Array } | { readonly kind: "truncate"; readonly length: number };

/** Content is a growable byte array. */
class Content {
  constructor(
    private bytes: Uint8Array = new Uint8Array(0),
    public size = bytes.length,
  ) {}

  clone(): Content {
    return new Content(this.bytes.slice(0, this.size));
  }

  apply(change: Change): void {
    if (change.kind === "truncate") {
      if (change.length < this.size) this.bytes.fill(0, change.length, this.size);
      this.reserve(change.length);
      this.size = change.length;
      return;
    }
    const end = change.position + change.bytes.length;
    this.reserve(end);
    this.bytes.set(change.bytes, change.position);
    if (end > this.size) this.size = end;
  }

  read(into: Uint8Array, offset: number, length: number, position: number): number {
    const count = Math.max(0, Math.min(length, this.size - position));
    into.set(this.bytes.subarray(position, position + count), offset);
    return count;
  }

  copy(): Uint8Array {
    return this.bytes.slice(0, this.size);
  }

  private reserve(size: number): void {
    if (size <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(size, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.size));
    this.bytes = grown;
  }
}

/** FileNode is a file: its content as reads see it, and as a power cut would leave it. */
class FileNode {
  readonly kind = "file";
  content = new Content();
  durable = new Content();
  /** pending: the changes made since the last sync, oldest first. */
  pending: Change[] = [];

  change(change: Change): void {
    this.content.apply(change);
    this.pending.push(change);
  }

  /** sync makes the pending changes durable (applied to the durable copy: no whole-file copy). */
  sync(): void {
    for (const change of this.pending) this.durable.apply(change);
    this.pending = [];
  }
}

/** DirNode is a directory: its entries as reads see them, and as a power cut would leave them. */
class DirNode {
  readonly kind = "dir";
  entries = new Map<string, FileNode | DirNode>();
  durable = new Map<string, FileNode | DirNode>();
}

type Node = FileNode | DirNode;

function fsError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

/**
 * seeded is a small seeded generator (mulberry32) returning integers in [0, bound): the same
 * seed tears the same way, and tests draw their scenarios from it too.
 */
export function seeded(seed: number): (bound: number) => number {
  let state = seed >>> 0;
  return (bound) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * bound);
  };
}

/**
 * PowerCutDisk is the disk; `mount()` gives the WalFileSystem to hand to `Wal` and
 * `Snapshotter` for one life of the machine, `powerCut()` ends that life.
 *
 *     const disk = new PowerCutDisk({ mode: "tear", seed });
 *     const wal = await Wal.create("/data/wal", metadata, { fs: disk.mount() });
 *     ...; disk.powerCut();
 *     const reopened = await Wal.open("/data/wal", undefined, { fs: disk.mount() });
 */
export class PowerCutDisk {
  private readonly machine: Machine;

  constructor(options: PowerCutDiskOptions = {}) {
    this.machine = new Machine(options.mode ?? "drop", seeded(options.seed ?? 1));
  }

  /** mode is what a power cut leaves of unsynced changes. */
  get mode(): PowerCutMode {
    return this.machine.mode;
  }

  /** syncs lists every sync call made, in order, across lives. */
  get syncs(): readonly SyncRecord[] {
    return this.machine.syncs;
  }

  /** mount returns the file system of the machine's current life (dead after the next cut). */
  mount(): WalFileSystem {
    return new PowerCutFileSystem(this.machine, this.machine.life);
  }

  /** powerCut loses what a power cut loses (see the module comment) and starts a new life. */
  powerCut(): void {
    this.machine.powerCut();
  }

  /**
   * cutAfter arranges a power cut instead of the `count`-th call from now that would change
   * the disk (a write, truncation, sync, create, rename, removal, mkdir): `cutAfter(0)` cuts
   * at the very next one. The call that meets the cut fails with PowerCutError, changing nothing.
   */
  cutAfter(count: number): void {
    this.machine.cutAtChange = this.machine.changes + count;
  }

  /** changeCount is how many calls that change the disk have been made so far (see cutAfter). */
  get changeCount(): number {
    return this.machine.changes;
  }

  /** powerCuts is how many power cuts happened (by powerCut or cutAfter). */
  get powerCuts(): number {
    return this.machine.cuts;
  }
}

/** Machine is the disk's state, shared by the facade and every life's file system. */
class Machine {
  readonly syncs: SyncRecord[] = [];
  readonly root = new DirNode();
  private readonly locks = new Map<string, symbol>();
  life = 0;
  changes = 0;
  cutAtChange: number | undefined;
  cuts = 0;

  constructor(
    readonly mode: PowerCutMode,
    private readonly random: (bound: number) => number,
  ) {}

  powerCut(): void {
    this.life++;
    this.cuts++;
    this.cutAtChange = undefined;
    this.locks.clear();
    const seen = new Set<Node>();
    const restore = (dir: DirNode): void => {
      dir.entries = new Map(dir.durable);
      for (const node of dir.entries.values()) {
        if (seen.has(node)) continue;
        seen.add(node);
        if (node.kind === "dir") restore(node);
        else this.restoreFile(node);
      }
    };
    restore(this.root);
  }

  /**
   * run performs one call of life `life`: it takes effect now (or meets the cut) and reports
   * back on a later turn of the event loop, unless the power was cut meanwhile.
   */
  run<T>(life: number, operation: string, changes: boolean, effect: () => T): Promise<T> {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    if (life !== this.life) {
      outcome = { ok: false, error: new PowerCutError(operation) };
    } else if (changes && this.cutAtChange !== undefined && this.changes >= this.cutAtChange) {
      this.powerCut();
      outcome = { ok: false, error: new PowerCutError(operation) };
    } else {
      if (changes) this.changes++;
      try {
        outcome = { ok: true, value: effect() };
      } catch (error) {
        outcome = { ok: false, error };
      }
    }
    return new Promise((resolve, reject) => {
      setImmediate(() => {
        if (life !== this.life) reject(new PowerCutError(operation));
        else if (outcome.ok) resolve(outcome.value);
        else reject(outcome.error);
      });
    });
  }

  /** lookup finds the node at `path` as reads see it. */
  lookup(path: string, syscall: string): Node {
    let node: Node = this.root;
    for (const part of parts(path)) {
      if (node.kind !== "dir") throw fsError("ENOTDIR", syscall, path);
      const next: Node | undefined = node.entries.get(part);
      if (!next) throw fsError("ENOENT", syscall, path);
      node = next;
    }
    return node;
  }

  /** parentOf finds the directory holding `path`'s name, and the name. */
  parentOf(path: string, syscall: string): { dir: DirNode; name: string } {
    const list = parts(path);
    const name = list.pop();
    if (name === undefined) throw fsError("EBUSY", syscall, path);
    const dir = this.lookup(`/${list.join("/")}`, syscall);
    if (dir.kind !== "dir") throw fsError("ENOTDIR", syscall, path);
    return { dir, name };
  }

  /** pathOf names a node as it is reachable now (for the sync log). */
  pathOf(target: Node, fallback: string): string {
    const walk = (dir: DirNode, prefix: string): string | undefined => {
      for (const [name, node] of dir.entries) {
        const path = `${prefix}/${name}`;
        if (node === target) return path;
        if (node.kind === "dir") {
          const found = walk(node, path);
          if (found) return found;
        }
      }
      return undefined;
    };
    return target === this.root ? "/" : (walk(this.root, "") ?? fallback);
  }

  /** recordSync logs a sync call. */
  recordSync(kind: SyncRecord["kind"], node: Node, fallback: string): void {
    this.syncs.push({ kind, path: this.pathOf(node, fallback) });
  }

  /** takeLock takes the in-memory lock of `dir` (locks die with the power). */
  takeLock(life: number, dir: string): DirLock {
    const key = posix.resolve(dir);
    if (this.lookup(key, "open").kind !== "dir") throw fsError("ENOTDIR", "open", dir);
    if (this.locks.has(key)) throw new WalLockedError(dir, process.pid);
    const token = Symbol(key);
    this.locks.set(key, token);
    return {
      release: () => {
        if (life === this.life && this.locks.get(key) === token) this.locks.delete(key);
        return Promise.resolve();
      },
    };
  }

  private restoreFile(file: FileNode): void {
    const content = file.durable;
    if (this.mode === "tear" && file.pending.length > 0) {
      const torn = this.random(file.pending.length);
      for (let i = 0; i < torn; i++) content.apply(file.pending[i]!);
      const change = file.pending[torn]!;
      if (change.kind === "write") {
        const keep = this.random(change.bytes.length + 1);
        if (keep > 0) content.apply({ kind: "write", position: change.position, bytes: change.bytes.subarray(0, keep) });
      } else if (this.random(2) === 1) {
        content.apply(change);
      }
    }
    file.content = content;
    file.durable = content.clone();
    file.pending = [];
  }
}

function parts(path: string): string[] {
  return posix
    .resolve("/", path)
    .split("/")
    .filter((part) => part !== "");
}

/** PowerCutFileSystem is one life's view of a PowerCutDisk. */
class PowerCutFileSystem implements WalFileSystem {
  constructor(
    private readonly disk: Machine,
    private readonly life: number,
  ) {}

  open(path: string, flags: OpenFlags): Promise<WalFile> {
    const creates = flags === "w" || flags === "w+" || flags === "wx";
    return this.disk.run(this.life, `open ${path}`, creates, () => {
      const { dir, name } = this.disk.parentOf(path, "open");
      let node = dir.entries.get(name);
      if (node?.kind === "dir") throw fsError("EISDIR", "open", path);
      if (flags === "wx" && node) throw fsError("EEXIST", "open", path);
      if (!node) {
        if (!creates) throw fsError("ENOENT", "open", path);
        node = new FileNode();
        dir.entries.set(name, node);
      } else if (creates && node.content.size > 0) {
        node.change({ kind: "truncate", length: 0 });
      }
      return new PowerCutFile(this.disk, this.life, node, path, flags !== "r", flags !== "w" && flags !== "wx");
    });
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.disk.run(this.life, `readFile ${path}`, false, () => {
      const node = this.disk.lookup(path, "open");
      if (node.kind === "dir") throw fsError("EISDIR", "read", path);
      return node.content.copy();
    });
  }

  readdir(path: string): Promise<string[]> {
    return this.disk.run(this.life, `readdir ${path}`, false, () => {
      const node = this.disk.lookup(path, "scandir");
      if (node.kind !== "dir") throw fsError("ENOTDIR", "scandir", path);
      return [...node.entries.keys()].sort();
    });
  }

  mkdir(path: string): Promise<string | undefined> {
    return this.disk.run(this.life, `mkdir ${path}`, true, () => {
      let dir = this.disk.lookup("/", "mkdir") as DirNode;
      let first: string | undefined;
      let at = "";
      for (const part of parts(path)) {
        at = `${at}/${part}`;
        let next = dir.entries.get(part);
        if (!next) {
          next = new DirNode();
          dir.entries.set(part, next);
          first ??= at;
        }
        if (next.kind !== "dir") throw fsError("ENOTDIR", "mkdir", path);
        dir = next;
      }
      return first;
    });
  }

  rename(from: string, to: string): Promise<void> {
    return this.disk.run(this.life, `rename ${from} ${to}`, true, () => {
      const source = this.disk.parentOf(from, "rename");
      const node = source.dir.entries.get(source.name);
      if (!node) throw fsError("ENOENT", "rename", from);
      const target = this.disk.parentOf(to, "rename");
      const replaced = target.dir.entries.get(target.name);
      if (replaced === node) return;
      if (replaced?.kind === "dir" && (node.kind !== "dir" || replaced.entries.size > 0)) throw fsError("ENOTEMPTY", "rename", to);
      if (replaced?.kind === "file" && node.kind === "dir") throw fsError("ENOTDIR", "rename", to);
      source.dir.entries.delete(source.name);
      target.dir.entries.set(target.name, node);
    });
  }

  remove(path: string, options?: { readonly recursive?: boolean }): Promise<void> {
    return this.disk.run(this.life, `remove ${path}`, true, () => {
      let parent: { dir: DirNode; name: string };
      try {
        parent = this.disk.parentOf(path, "rm");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
        throw error;
      }
      const node = parent.dir.entries.get(parent.name);
      if (!node) return;
      if (node.kind === "dir" && !options?.recursive) throw fsError("EISDIR", "rm", path);
      parent.dir.entries.delete(parent.name);
    });
  }

  size(path: string): Promise<number> {
    return this.disk.run(this.life, `stat ${path}`, false, () => {
      const node = this.disk.lookup(path, "stat");
      return node.kind === "file" ? node.content.size : 4096;
    });
  }

  fsyncDir(path: string): Promise<void> {
    return this.disk.run(this.life, `fsync ${path}`, true, () => {
      const node = this.disk.lookup(path, "open");
      if (node.kind !== "dir") throw fsError("ENOTDIR", "open", path);
      node.durable = new Map(node.entries);
      this.disk.recordSync("fsyncDir", node, path);
    });
  }

  lock(dir: string): Promise<DirLock> {
    return this.disk.run(this.life, `lock ${dir}`, false, () => this.disk.takeLock(this.life, dir));
  }
}

/** PowerCutFile is an open file of one life. */
class PowerCutFile implements WalFile {
  private closed = false;

  constructor(
    private readonly disk: Machine,
    private readonly life: number,
    private readonly node: FileNode,
    private readonly path: string,
    private readonly writable: boolean,
    private readonly readable: boolean,
  ) {}

  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
    callback: (error: NodeJS.ErrnoException | null, bytesWritten: number) => void,
  ): void {
    this.disk
      .run(this.life, `write ${this.path}`, true, () => {
        this.check("write", this.writable);
        this.node.change({ kind: "write", position, bytes: buffer.slice(offset, offset + length) });
        return length;
      })
      .then(
        (written) => callback(null, written),
        (error: NodeJS.ErrnoException) => callback(error, 0),
      );
  }

  fdatasync(callback: (error: NodeJS.ErrnoException | null) => void): void {
    this.disk
      .run(this.life, `fdatasync ${this.path}`, true, () => {
        this.check("fdatasync", true);
        this.node.sync();
        this.disk.recordSync("fdatasync", this.node, this.path);
      })
      .then(
        () => callback(null),
        (error: NodeJS.ErrnoException) => callback(error),
      );
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return this.disk.run(this.life, `read ${this.path}`, false, () => {
      this.check("read", this.readable);
      return this.node.content.read(buffer, offset, length, position);
    });
  }

  size(): Promise<number> {
    return this.disk.run(this.life, `fstat ${this.path}`, false, () => {
      this.check("fstat", true);
      return this.node.content.size;
    });
  }

  truncate(length: number): Promise<void> {
    return this.disk.run(this.life, `ftruncate ${this.path}`, true, () => {
      this.check("ftruncate", this.writable);
      this.node.change({ kind: "truncate", length });
    });
  }

  sync(): Promise<void> {
    return this.disk.run(this.life, `fsync ${this.path}`, true, () => {
      this.check("fsync", true);
      this.node.sync();
      this.disk.recordSync("fsync", this.node, this.path);
    });
  }

  close(): Promise<void> {
    return this.disk.run(this.life, `close ${this.path}`, false, () => {
      this.check("close", true);
      this.closed = true;
    });
  }

  private check(syscall: string, allowed: boolean): void {
    if (this.closed || !allowed) throw fsError("EBADF", syscall, this.path);
  }
}
