/**
 * log: the messages the command-line front reports (warnings about the environment,
 * errors in flags), and how they are written in etcd 3.4's two log formats — capnslog's
 * `2006-01-02 15:04:05.000000 W | pkg/flags: text` line (etcd 3.4's default `--logger`)
 * and zap's JSON line (`--logger=zap`).
 *
 * Only for what happens before the server starts; the server's own logger is not here.
 */

/** LogLevel is a message's severity; `fatal` is capnslog's `C` (critical). */
export type LogLevel = "debug" | "info" | "notice" | "warn" | "error" | "fatal";

/** LogNote is one message, in both of etcd's shapes. */
export interface LogNote {
  readonly level: LogLevel;
  /** pkg is the capnslog package that etcd logs it under (`etcdmain`, `pkg/flags`). */
  readonly pkg: string;
  /** text is the capnslog line's message. */
  readonly text: string;
  /** msg is zap's `msg`; the capnslog text when absent. */
  readonly msg?: string;
  /** zapLevel is zap's `level` when etcd logs it at another level than capnslog's. */
  readonly zapLevel?: LogLevel;
  /** fields are zap's extra fields (`error`, `path`, ...). */
  readonly fields?: Readonly<Record<string, string | number | boolean>>;
}

const CAPNSLOG_LETTER: Record<LogLevel, string> = { debug: "D", info: "I", notice: "N", warn: "W", error: "E", fatal: "C" };

const pad = (value: number, width = 2): string => String(value).padStart(width, "0");

/** formatCapnslog writes a note as etcd 3.4's default log line, in local time. */
export function formatCapnslog(note: LogNote, now: Date): string {
  const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds() * 1000, 6)}`;
  return `${date} ${time} ${CAPNSLOG_LETTER[note.level]} | ${note.pkg}: ${note.text}`;
}

/** formatZap writes a note as a zap JSON line (`level`, `ts`, `msg`, then the fields). */
export function formatZap(note: LogNote, now: Date): string {
  return JSON.stringify({ level: note.zapLevel ?? note.level, ts: now.toISOString(), msg: note.msg ?? note.text, ...note.fields });
}

/** formatNote writes a note in the format of the given `--logger` (`zap`, else capnslog). */
export function formatNote(note: LogNote, logger: string, now: Date): string {
  return logger === "zap" ? formatZap(note, now) : formatCapnslog(note, now);
}
