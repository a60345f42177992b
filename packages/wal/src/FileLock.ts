/**
 * An exclusive lock on a directory, so two members never write one WAL.
 *
 * Node has no flock(2), so the lock is a file created with O_EXCL that holds the owner's PID.
 * A lock file whose process is gone (a crash, kill -9) is stale and taken over; one held by a
 * live process — or by another open in this process — is refused with WalLockedError.
 * Limit: PID reuse after a crash could make a stale lock look held; the error names the PID.
 */
import { open, readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { WalLockedError } from "./errors.js";

/** LOCK_FILE is the lock's file name inside the locked directory. */
export const LOCK_FILE = ".lock";

const heldInThisProcess = new Set<string>();

/** DirLock is a held lock of a directory (see `WalFileSystem.lock`); release it once. */
export interface DirLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** lockDir takes the lock of `dir` or throws WalLockedError. */
export async function lockDir(dir: string): Promise<DirLock> {
  const key = resolve(dir);
  if (heldInThisProcess.has(key)) throw new WalLockedError(dir, process.pid);
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      heldInThisProcess.add(key);
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          heldInThisProcess.delete(key);
          await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number.parseInt((await readFile(path, "utf8").catch(() => "")).trim(), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new WalLockedError(dir, holder);
      }
      // Stale: its process is gone (or it is ours from a previous life of this PID). Take it over.
      await rm(path, { force: true });
    }
  }
  throw new WalLockedError(dir, -1);
}
