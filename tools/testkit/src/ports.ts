/**
 * Fixed ports for test servers that must be told their port up front (etcd's URLs), and a
 * check that the process we started is the one listening on it.
 *
 * Probing a port by binding and closing it is not enough when several test processes run
 * at once (nx runs packages' tests in parallel): two of them can probe the same free port
 * and both hand it to a server. The loser's server fails to bind and exits, but a health
 * probe of its URL is answered by the winner's server, and the test then talks to a server
 * it does not own. So a port is reserved before it is handed out: a lock file named after
 * the port, created exclusively in a directory shared by every process of this user, holds
 * the owner's pid, and is removed when the owner exits (or taken over once it is dead).
 */
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, unlinkSync, writeSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Ports are picked in [LOW, HIGH): below 32768, where the kernel hands out ephemeral ports. */
const LOW = 20000;
const HIGH = 32000;
/** One directory per user: another user's would not be writable. */
const LOCK_DIR = join(tmpdir(), `etcd-ts-ports-${process.getuid?.() ?? "user"}`);

/** reserved: the ports this process holds; never handed out twice (a member's client and peer port). */
const reserved = new Set<number>();
let cleanupInstalled = false;

function releaseAll(): void {
  for (const port of reserved) {
    try {
      unlinkSync(join(LOCK_DIR, String(port)));
    } catch {
      // already gone
    }
  }
  reserved.clear();
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** tryLock creates the port's lock file; a lock left by a dead process is taken over. */
function tryLock(port: number): boolean {
  const file = join(LOCK_DIR, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let owner = Number.NaN;
    try {
      owner = Number.parseInt(readFileSync(file, "utf8"), 10);
    } catch {
      // removed meanwhile: try again
    }
    // A lock being written has no pid yet: treat it as held.
    if (Number.isNaN(owner) || processAlive(owner)) return false;
    try {
      unlinkSync(file);
    } catch {
      // another process took it over first; its exclusive create decides
    }
  }
  return false;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * freePort returns a port in [20000, 32000) that is free now and reserved for this process
 * until it exits: no other caller of freePort, in this process or another, gets it.
 */
export async function freePort(): Promise<number> {
  mkdirSync(LOCK_DIR, { recursive: true });
  if (!cleanupInstalled) {
    cleanupInstalled = true;
    process.once("exit", releaseAll);
  }
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (reserved.has(port) || !tryLock(port)) continue;
    reserved.add(port);
    if (await bindable(port)) return port;
    // Used by something that does not take part in reservations: keep the lock (so nobody
    // else tries it either) and pick another.
  }
  throw new Error(`no free port found in [${LOW}, ${HIGH})`);
}

/** socketInodes are the inodes of the TCP sockets listening on `port` (IPv4 and IPv6). */
function listeningSocketInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const local = fields[1]!;
      if (fields[3] === "0A" && local.slice(local.lastIndexOf(":") + 1) === hexPort) inodes.add(fields[9]!);
    }
  }
  return inodes;
}

/**
 * listensOn tells whether process `pid` holds a socket listening on TCP `port`. It reads
 * /proc (Linux); where /proc is missing it answers true, as it cannot tell.
 */
export function listensOn(pid: number, port: number): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return process.platform !== "linux";
  }
  const inodes = listeningSocketInodes(port);
  if (inodes.size === 0) return false;
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match !== null && inodes.has(match[1]!)) return true;
  }
  return false;
}

/** PortTakenError: a server could not have the port it was given; start it again on new ports. */
export class PortTakenError extends Error {}

/**
 * checkServedBy is for a server that answered its health probe: it throws PortTakenError
 * unless process `pid` is the one listening on `port` (another one would answer the same).
 */
export function checkServedBy(pid: number, port: number, log: string): void {
  if (!listensOn(pid, port)) throw new PortTakenError(`127.0.0.1:${port} is served by another process:\n${log}`);
}

/** exitedError is the error for a server that exited while starting: PortTakenError when its log says its address was in use. */
export function exitedError(message: string, log: string): Error {
  return new (/address already in use/.test(log) ? PortTakenError : Error)(`${message}:\n${log}`);
}
