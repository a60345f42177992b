/**
 * ByteProgress: the bar etcdutl draws on stderr while it reads a large snapshot file —
 * bytes done of the total, percent and throughput — only when stderr is a terminal, so
 * scripts and logs see nothing but the command's own output.
 */

/** ProgressSink is where a bar is drawn (stderr, or a test's fake terminal). */
export interface ProgressSink {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** Files smaller than this finish too fast for a bar to help. */
const MIN_SIZE = 8 * 1024 * 1024;
const BAR = 30;

/** ByteProgress follows one pass over `total` bytes. */
export class ByteProgress {
  private readonly started = performance.now();
  private lastDraw = -Infinity;
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly sink: ProgressSink = process.stderr,
  ) {
    this.enabled = sink.isTTY === true && total >= MIN_SIZE;
  }

  /** update redraws, at most ten times a second, with `done` bytes read. */
  update(done: number): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.sink.write(`\r${this.line(done, now)}\x1b[K`);
  }

  /** finish draws the last state and ends the line. */
  finish(): void {
    if (this.enabled) this.sink.write(`\r${this.line(this.total, performance.now())}\x1b[K\n`);
  }

  private line(done: number, now: number): string {
    const fraction = this.total === 0 ? 1 : done / this.total;
    const filled = Math.round(fraction * BAR);
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    return `${this.label} ${mib(done)} / ${mib(this.total)} [${"#".repeat(filled)}${".".repeat(BAR - filled)}] ${(fraction * 100).toFixed(0)}% ${mib(rate)}/s`;
  }
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
