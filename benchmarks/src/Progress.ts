/**
 * Progress: the progress bar drawn on stderr while a benchmark runs (like etcd's pb bar):
 * done/total, percent, rate and elapsed time, redrawn at most 10 times a second. On a
 * stream that is not a terminal it draws nothing unless forced, so logs stay clean.
 */
import type { Writable } from "node:stream";

/** ProgressOptions configure a {@link Progress}. */
export interface ProgressOptions {
  /** total operations expected, or the duration in ms when `byTime` is set. */
  readonly total: number;
  /** byTime: the bar follows elapsed time (`--duration` runs) instead of a count. */
  readonly byTime?: boolean;
  readonly label?: string;
  /** stream to draw on (default process.stderr). */
  readonly stream?: Writable & { isTTY?: boolean };
  /** enabled forces drawing on (true) or off (false); default: only on a terminal. */
  readonly enabled?: boolean;
}

const WIDTH = 40;

/** Progress draws a bar; call {@link Progress.update} often and {@link Progress.finish} once. */
export class Progress {
  private readonly started = performance.now();
  private lastDraw = 0;
  private readonly enabled: boolean;
  private readonly stream: Writable & { isTTY?: boolean };

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.enabled = options.enabled ?? this.stream.isTTY === true;
  }

  /** render returns the bar's text for `done` operations after `elapsedMs`. */
  render(done: number, elapsedMs: number): string {
    const { total, byTime = false, label = "" } = this.options;
    const fraction = total <= 0 ? 0 : Math.min(1, (byTime ? elapsedMs : done) / total);
    const filled = Math.round(fraction * WIDTH);
    const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
    const count = byTime ? `${done}` : `${done} / ${total}`;
    const prefix = label ? `${label} ` : "";
    return `${prefix}${count} [${"=".repeat(filled)}${filled < WIDTH ? ">" : ""}${" ".repeat(Math.max(0, WIDTH - filled - 1))}] ${(fraction * 100).toFixed(1)}% ${rate.toFixed(0)}/s ${(elapsedMs / 1000).toFixed(1)}s`;
  }

  /** update redraws (rate-limited) with `done` operations finished so far. */
  update(done: number): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.stream.write(`\r${this.render(done, now - this.started)}\x1b[K`);
  }

  /** finish draws the final state and ends the line. */
  finish(done: number): void {
    if (!this.enabled) return;
    this.stream.write(`\r${this.render(done, performance.now() - this.started)}\x1b[K\n`);
  }
}
