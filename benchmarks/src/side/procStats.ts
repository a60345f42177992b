/**
 * procStats: what Linux says about a server process — peak resident set size (`VmHWM` of
 * /proc/<pid>/status, the high-water mark since the process started) and CPU time (utime +
 * stime of /proc/<pid>/stat). Linux only; elsewhere both read as undefined.
 */
import { readFileSync } from "node:fs";

/** CLOCK_TICKS is USER_HZ, 100 on every Linux we run on. */
const CLOCK_TICKS = 100;

/** peakRssKb returns the process's VmHWM in KiB, or undefined. */
export function peakRssKb(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** cpuSeconds returns the process's user + system CPU time in seconds, or undefined. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
