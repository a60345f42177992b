/**
 * freeze stops a process with SIGSTOP and resolves once it is really stopped.
 *
 * kill(2) returns as soon as the signal is queued. For a multi-threaded process (a Go or a
 * node server) the group stop only begins when one of its threads is next scheduled, and
 * on a busy machine the other threads may answer a request or two meanwhile: a test that
 * "freezes" a server and expects silence must wait for every thread to show state T.
 */
import { readFileSync, readdirSync } from "node:fs";

/** threadStates reads the state letter of each thread of `pid` from /proc (empty if gone). */
function threadStates(pid: number): string[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const states: string[] = [];
  for (const task of tasks) {
    try {
      // pid (comm) S ...: the comm may hold spaces and parentheses, the state follows the last ")".
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, "utf8");
      states.push(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
    } catch {
      // the thread ended meanwhile
    }
  }
  return states;
}

/** isStopped: every thread of `pid` is stopped (T, or t when traced). */
export function isStopped(pid: number): boolean {
  const states = threadStates(pid);
  return states.length > 0 && states.every((state) => state === "T" || state === "t");
}

/**
 * freeze sends SIGSTOP to `pid` and waits (up to `timeoutMs`) until all its threads are
 * stopped. Without /proc (not Linux) it only sends the signal.
 */
export async function freeze(pid: number, timeoutMs = 5000): Promise<void> {
  process.kill(pid, "SIGSTOP");
  if (process.platform !== "linux") return;
  const deadline = Date.now() + timeoutMs;
  while (!isStopped(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} did not stop within ${timeoutMs} ms: threads ${threadStates(pid).join("")}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
