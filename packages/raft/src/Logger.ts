/**
 * Logger: the optional logging hook of raft. raft never writes anywhere by itself; pass a
 * Logger in {@link Config} to see elections, rejections and configuration changes.
 */

/** Logger receives raft's log lines; every method is optional in spirit (no-op is fine). */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** discardLogger drops everything (the default). */
export const discardLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
