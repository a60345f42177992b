/**
 * AutoCompactor: etcd's `--auto-compaction-mode` / `--auto-compaction-retention`, run by the
 * leader.
 * - revision: every 5 minutes, compact to (current revision − retention) when that moved on.
 * - periodic: the retention is a duration (a bare number means hours, as etcd reads it);
 *   every tenth of it the current revision is sampled, and the store is compacted to the
 *   revision sampled one retention ago.
 */

/** CompactorHost is what the compactor needs of the member. */
export interface CompactorHost {
  isLeader(): boolean;
  currentRevision(): number;
  compact(revision: number): Promise<void>;
}

/** parseRetention reads a retention: "0" off, a duration ("90m", "1h30m", "10s") or hours ("1", "0.5"). */
export function parseRetentionMs(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 3_600_000;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const match = /^(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(rest);
    if (!match) throw new Error(`invalid auto-compaction-retention "${text}"`);
    total += Number(match[1]) * units[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return total;
}

/** AutoCompactor schedules compactions; start() returns the stop function. */
export class AutoCompactor {
  private timer: NodeJS.Timeout | undefined;
  private readonly samples: { at: number; revision: number }[] = [];
  private lastCompacted = 0;

  constructor(
    private readonly host: CompactorHost,
    private readonly mode: "periodic" | "revision",
    private readonly retention: string,
  ) {}

  /** start begins the schedule (a no-op when retention is "0"). */
  start(): void {
    if (this.retention === "0" || this.retention === "") return;
    if (this.mode === "revision") {
      const keep = Number(this.retention);
      if (!Number.isInteger(keep) || keep < 0) throw new Error(`invalid auto-compaction-retention "${this.retention}" for revision mode`);
      this.timer = setInterval(() => this.revisionTick(keep), 5 * 60_000);
    } else {
      const retentionMs = parseRetentionMs(this.retention);
      if (retentionMs <= 0) return;
      this.samples.push({ at: Date.now(), revision: this.host.currentRevision() });
      this.timer = setInterval(() => this.periodicTick(retentionMs), Math.max(1000, retentionMs / 10));
    }
    this.timer.unref();
  }

  /** stop ends the schedule. */
  stop(): void {
    clearInterval(this.timer);
  }

  private revisionTick(keep: number): void {
    const target = this.host.currentRevision() - keep;
    if (this.host.isLeader() && target > this.lastCompacted) this.compact(target);
  }

  private periodicTick(retentionMs: number): void {
    const now = Date.now();
    this.samples.push({ at: now, revision: this.host.currentRevision() });
    // The newest sample taken at least one retention ago is the revision to keep from.
    let target: number | undefined;
    while (this.samples.length > 1 && this.samples[1]!.at <= now - retentionMs) this.samples.shift();
    if (this.samples[0]!.at <= now - retentionMs) target = this.samples[0]!.revision;
    if (this.host.isLeader() && target !== undefined && target > this.lastCompacted) this.compact(target);
  }

  private compact(revision: number): void {
    this.lastCompacted = revision;
    this.host.compact(revision).catch(() => {
      // compacted already, or no leader now: the next tick tries again
      this.lastCompacted = 0;
    });
  }
}
