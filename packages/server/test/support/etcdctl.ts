/**
 * Runs the real etcdctl (Debian's etcd-client 3.4) against an endpoint, and normalizes its
 * output so that runs against two servers compare equal when they behave alike: IDs, terms,
 * raft indexes, sizes, timings and endpoints are replaced by placeholders.
 */
import { spawn } from "node:child_process";

/** EtcdctlResult is one command's exit code and output. */
export interface EtcdctlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** etcdctl runs one command; `timeoutMs` kills it (for watch) and still returns its output. */
export function etcdctl(endpoint: string, args: readonly string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<EtcdctlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("etcdctl", ["--endpoints", endpoint, "--dial-timeout", "5s", "--command-timeout", "10s", ...args], {
      env: { ...process.env, ETCDCTL_API: "3" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    const timer = options.timeoutMs ? setTimeout(() => child.kill("SIGTERM"), options.timeoutMs) : undefined;
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    // etcdctl may exit before reading its input (an early failure): that is its answer, not ours.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.stdin ?? "");
  });
}

/** normalize replaces what legitimately differs between two servers and two runs. */
export function normalize(text: string, endpoint: string): string {
  return text
    .split("\n")
    .filter((line) => !line.startsWith('{"level":')) // etcdctl's own retry logs
    .join("\n")
    .replaceAll(endpoint, "<EP>")
    .replace(/http:\/\/127\.0\.0\.1:\d+/g, "<URL>")
    .replace(/http:\/\/localhost:\d+/g, "<URL>")
    .replace(/"(cluster_id|member_id|ID|id|leader|memberID)":\d+/g, '"$1":<ID>')
    // endpoint status, simple: term, raft index and applied index (etcd applies a few entries
    // of its own at start: cluster version, member attributes).
    .replace(/, (true|false), (true|false), \d+, \d+, \d+, /g, ", $1, $2, <TERM>, <INDEX>, <INDEX>, ")
    .replace(/"took":"[\d.]+[µnm]?s"/g, '"took":"<T>"')
    // HashKV hashes the stored key-values, whose lease IDs differ between two servers.
    .replace(/^(<EP>, )\d+$/gm, "$1<HASH>")
    .replace(/"hash":\d+/g, '"hash":<HASH>')
    .replace(/"(raft_term|raftTerm)":\d+/g, '"$1":<TERM>')
    .replace(/"(raft_index|raftIndex|raft_applied_index|raftAppliedIndex)":\d+/g, '"$1":<INDEX>')
    .replace(/"(dbSize|dbSizeInUse|db_size|db_size_in_use)":\d+/g, '"$1":<SIZE>')
    .replace(/"(name)":"[^"]*"/g, '"$1":<NAME>')
    .replace(/"(ClusterID|MemberID|Lease|ID)" : \d+/g, '"$1" : <ID>')
    .replace(/"(RaftTerm)" : \d+/g, '"$1" : <TERM>')
    .replace(/\b[0-9a-f]{14,16}\b/g, "<ID>")
    .replace(/lease [0-9a-f]+/g, "lease <LEASE>")
    .replace(/took = [\d.]+[µnm]?s/g, "took = <T>")
    .replace(/\d+(\.\d+)? [kMG]?B\b/g, "<SIZE>");
}
