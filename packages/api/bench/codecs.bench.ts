/**
 * Codec benchmark: chooses @etcd-ts/api's protobuf code generator by measured encode/decode
 * speed of RangeResponse (100 KeyValues) and PutRequest, as the issue asks.
 *
 * Candidates (bench/candidates.ts): ours (src/generated), protobufjs (reflection), protobuf-es
 * v2 (runtime descriptors) and ts-proto (generated at run time by bench/generate-candidates.ts).
 * Every candidate gets the same messages (bench/fixtures.ts), prebuilt in its own
 * representation. Before anything is timed each candidate must round-trip them, read what
 * ours and protobufjs wrote, and write bytes that ours and protobufjs read back identically;
 * a candidate that fails is reported as rejected and not timed, so a wrong codec cannot win.
 *
 * Timing: per measurement a warm-up, then ROUNDS rounds of ROUND_SECONDS each, the candidates
 * interleaved within a round (order rotated every round); the median round is reported.
 * Decoders all read the same bytes (ours' encoding). The table goes to stdout and, between
 * the figures markers, into bench/README.md.
 *
 * usage: pnpm --filter @etcd-ts/api bench [--quick] [--no-write] [--only=ours,protobufjs,...]
 *   --quick     3 short rounds, for a smoke test (implies --no-write)
 *   --no-write  leave bench/README.md alone
 *   --only      time only the named candidates (ours and protobufjs, the references, always run)
 *   --measure   time only the named measurements, e.g. --measure=PutRequest.encode,RangeResponse.decode
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { ours, protobufEs, protobufjs, tsProto } from "./candidates.js";
import type { Candidate } from "./candidates.js";
import { fixtures, loadRoot, MESSAGES, normalize } from "./fixtures.js";
import type { MessageName } from "./fixtures.js";
import { generateTsProto, PKG_ROOT } from "./generate-candidates.js";

const args = process.argv.slice(2);
const QUICK = args.includes("--quick");
const WRITE = !QUICK && !args.includes("--no-write");
const ONLY = args.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
const PICK = args.find((a) => a.startsWith("--measure="))?.slice("--measure=".length).split(",");
const ROUNDS = QUICK ? 3 : 5;
const ROUND_SECONDS = QUICK ? 0.2 : 1;
const WARMUP_SECONDS = QUICK ? 0.2 : 0.5;
const README = join(import.meta.dirname, "README.md");

/** A measurement is one operation on one message type. */
interface Measurement {
  readonly message: MessageName;
  readonly op: "encode" | "decode";
}
const MEASUREMENTS: readonly Measurement[] = MESSAGES.flatMap((message) => [
  { message, op: "encode" as const },
  { message, op: "decode" as const },
]).filter((m) => PICK === undefined || PICK.includes(`${m.message}.${m.op}`));
const label = (m: Measurement): string => `${m.message} ${m.op}`;

/** ensureOurs regenerates src/generated when it is missing or stale against proto/. */
function ensureOurs(): void {
  const generator = join(PKG_ROOT, "codegen", "generate.mjs");
  const present = existsSync(join(PKG_ROOT, "src", "generated", "etcdserverpb.ts"));
  if (present) {
    try {
      execFileSync(process.execPath, [generator, "--check"], { stdio: "pipe" });
      return;
    } catch {
      console.log("src/generated is stale against proto/: regenerating");
    }
  }
  execFileSync(process.execPath, [generator], { stdio: "inherit" });
}

/** loadCandidates builds every candidate; one that cannot even be built is rejected with why. */
async function loadCandidates(rejected: Map<string, string>): Promise<Candidate[]> {
  const root = loadRoot();
  const data = fixtures();
  const tsProtoPaths = generateTsProto();
  const makers: [string, () => Candidate | Promise<Candidate>][] = [
    ["ours", () => ours(root, data)],
    ["protobufjs", () => protobufjs(root, data)],
    ["protobuf-es", () => protobufEs(root, data)],
    ["ts-proto", () => tsProto(root, data, tsProtoPaths["ts-proto"], "jstype")],
    ["ts-proto-number", () => tsProto(root, data, tsProtoPaths["ts-proto-number"], "number")],
  ];
  const out: Candidate[] = [];
  for (const [id, make] of makers) {
    if (ONLY && id !== "ours" && id !== "protobufjs" && !ONLY.includes(id)) continue;
    try {
      out.push(await make());
    } catch (err) {
      rejected.set(id, `could not be built: ${(err as Error).message}`);
    }
  }
  return out;
}

/**
 * verify checks one candidate against the fixtures and the two reference codecs (ours and
 * protobufjs) and returns why it fails, or undefined when it passes.
 */
function verify(c: Candidate, refs: readonly Candidate[]): string | undefined {
  const root = loadRoot();
  const problems: (string | undefined)[] = [];
  for (const name of MESSAGES) {
    const type = root.lookupType(`etcdserverpb.${name}`);
    const expected = normalize(type, fixtures()[name]);
    const step = (what: string, run: () => unknown): string | undefined => {
      try {
        const got = normalize(type, run());
        return isDeepStrictEqual(got, expected) ? undefined : `${name}: ${what} gives different data`;
      } catch (err) {
        return `${name}: ${what} throws: ${(err as Error).message}`;
      }
    };
    problems.push(
      step("its test message", () => c.native[name]),
      step("own round trip", () => c.codecs[name].decode(c.codecs[name].encode(c.native[name]))),
      ...refs.map((r) => step(`${r.id} reading its bytes`, () => r.codecs[name].decode(c.codecs[name].encode(c.native[name])))),
      ...refs.map((r) => step(`reading ${r.id}'s bytes`, () => c.codecs[name].decode(r.codecs[name].encode(r.native[name])))),
    );
  }
  const found = problems.filter((p) => p !== undefined);
  return found.length === 0 ? undefined : found.slice(0, 3).join("; ") + (found.length > 3 ? `; and ${found.length - 3} more` : "");
}

/** A timing loop: calls fn(arg) n times and returns the last result (so it stays live). */
type Loop = (fn: (arg: unknown) => unknown, arg: unknown, n: number) => unknown;

/**
 * freshLoop compiles a new loop function. One per (candidate, measurement): every loop keeps
 * its own type feedback, so its call site stays monomorphic and no candidate pays for the
 * others having run through the same loop.
 */
function freshLoop(): Loop {
  // A compiled-at-run-time loop is the point here (one fresh function per measurement), and
  // its source is this constant, never input.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- deliberate: see above
  return new Function("fn", "arg", "n", "let last; for (let i = 0; i < n; i++) last = fn(arg); return last;") as Loop;
}

/** sink keeps the last result of every loop reachable, so no work can be optimised away. */
export let sink: unknown;
const gc = (globalThis as { gc?: () => void }).gc;

/** Timed is one (candidate, measurement) pair's loop, batch size and round results. */
interface Timed {
  readonly loop: Loop;
  readonly fn: (arg: unknown) => unknown;
  readonly arg: unknown;
  batch: number;
  readonly rounds: number[];
}

/** runFor runs a timed pair in batches for about `seconds` and returns operations per second. */
function runFor(t: Timed, seconds: number): number {
  gc?.();
  const budget = BigInt(Math.round(seconds * 1e9));
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < budget) {
    sink = t.loop(t.fn, t.arg, t.batch);
    ops += t.batch;
    elapsed = process.hrtime.bigint() - start;
  }
  return ops / (Number(elapsed) / 1e9);
}

/** calibrate picks a batch size that takes about 10 ms, so clock reads cost nothing. */
function calibrate(t: Timed): void {
  for (t.batch = 1; ; t.batch *= 2) {
    const start = process.hrtime.bigint();
    sink = t.loop(t.fn, t.arg, t.batch);
    if (process.hrtime.bigint() - start > 10_000_000n || t.batch >= 1 << 24) return;
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** measure times every candidate on every measurement; returns median ops/s and spread. */
function measure(candidates: readonly Candidate[], canonical: Record<MessageName, Uint8Array>): Map<string, { ops: number; spread: number }> {
  const results = new Map<string, { ops: number; spread: number }>();
  for (const m of MEASUREMENTS) {
    const timed = candidates.map((c): Timed => {
      const codec = c.codecs[m.message];
      const fn = m.op === "encode" ? (x: unknown) => codec.encode(x) : (x: unknown) => codec.decode(x as Uint8Array);
      const arg = m.op === "encode" ? c.native[m.message] : canonical[m.message];
      return { loop: freshLoop(), fn, arg, batch: 1, rounds: [] };
    });
    for (const t of timed) {
      calibrate(t);
      runFor(t, WARMUP_SECONDS);
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < timed.length; k++) {
        const t = timed[(k + r) % timed.length]!;
        t.rounds.push(runFor(t, ROUND_SECONDS));
      }
    }
    candidates.forEach((c, i) => {
      const rounds = timed[i]!.rounds;
      const ops = median(rounds);
      results.set(`${c.id}|${label(m)}`, { ops, spread: (Math.max(...rounds) - Math.min(...rounds)) / ops });
    });
    process.stdout.write(`  measured ${label(m)}\n`);
  }
  return results;
}

function formatOps(ops: number): string {
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(2)} M/s`;
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(1)} k/s`;
  return `${ops.toFixed(0)} /s`;
}

/** machineFacts describes where and with what the figures were taken. */
function machineFacts(): string[] {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const cpu = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  let nproc = String(availableParallelism());
  try {
    nproc = execFileSync("nproc", { encoding: "utf8" }).trim();
  } catch {
    // no coreutils nproc: availableParallelism() says the same
  }
  const version = (pkg: string): string => {
    try {
      return (JSON.parse(readFileSync(join(PKG_ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
    } catch {
      return "?";
    }
  };
  return [
    `- date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`,
    `- node ${process.version} (${process.platform}-${process.arch}), nproc ${nproc}, CPU: ${cpu}`,
    `- protobufjs ${version("protobufjs")}, @bufbuild/protobuf ${version("@bufbuild/protobuf")}, ts-proto ${version("ts-proto")} (via @bufbuild/buf ${version("@bufbuild/buf")})`,
    `- ${ROUNDS} rounds × ${ROUND_SECONDS} s per cell after ${WARMUP_SECONDS} s warm-up, median round; ± is the spread (max − min) of the rounds${gc ? "; gc() before each round" : ""}`,
  ];
}

/** report renders the figures as markdown. */
function report(
  candidates: readonly Candidate[],
  results: Map<string, { ops: number; spread: number }>,
  canonical: Record<MessageName, Uint8Array>,
  identical: Map<string, boolean>,
  rejected: Map<string, string>,
): string {
  const lines: string[] = [];
  lines.push(...machineFacts(), "");
  lines.push(`Wire sizes: RangeResponse ${canonical.RangeResponse.length} B (100 KVs), PutRequest ${canonical.PutRequest.length} B. Cells: median ops/s · MB/s of wire bytes · × ours (± round spread).`, "");
  lines.push(`| candidate | 64-bit fields as | ${MEASUREMENTS.map(label).join(" | ")} |`);
  lines.push(`| --- | --- | ${MEASUREMENTS.map(() => "---:").join(" | ")} |`);
  for (const c of candidates) {
    const cells = MEASUREMENTS.map((m) => {
      const r = results.get(`${c.id}|${label(m)}`)!;
      const base = results.get(`ours|${label(m)}`)!;
      const mbs = (r.ops * canonical[m.message].length) / 1e6;
      return `${formatOps(r.ops)} · ${mbs.toFixed(0)} MB/s · ${(r.ops / base.ops).toFixed(2)}× (±${(r.spread * 100).toFixed(0)}%)`;
    });
    lines.push(`| ${c.id} | ${c.int64} | ${cells.join(" | ")} |`);
  }
  lines.push("");
  for (const m of MEASUREMENTS) {
    const ranked = [...candidates].sort((a, b) => results.get(`${b.id}|${label(m)}`)!.ops - results.get(`${a.id}|${label(m)}`)!.ops);
    const [first, second] = ranked;
    const lead = second ? ` (${(results.get(`${first!.id}|${label(m)}`)!.ops / results.get(`${second.id}|${label(m)}`)!.ops).toFixed(2)}× ${second.id})` : "";
    lines.push(`- fastest ${label(m)}: **${first!.id}**${lead}`);
  }
  const same = candidates.filter((c) => c.id !== "ours" && identical.get(c.id)).map((c) => c.id);
  const differ = candidates.filter((c) => c.id !== "ours" && !identical.get(c.id)).map((c) => c.id);
  lines.push(`- verified: every candidate above round-trips both messages and reads, and is read by, ours and protobufjs identically; bytes identical to ours: ${same.join(", ") || "none"}${differ.length ? `; different bytes (same data): ${differ.join(", ")}` : ""}`);
  for (const [id, why] of rejected) lines.push(`- rejected, not timed: **${id}**: ${why}`);
  return lines.join("\n");
}

const BEGIN = "<!-- figures:begin -->";
const END = "<!-- figures:end -->";

/** writeReadme replaces the figures section of bench/README.md. */
function writeReadme(figures: string): void {
  const text = readFileSync(README, "utf8");
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`${README} lacks the ${BEGIN} / ${END} markers`);
  writeFileSync(README, `${text.slice(0, begin + BEGIN.length)}\n${figures}\n${text.slice(end)}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  ensureOurs();
  const rejected = new Map<string, string>();
  const loaded = await loadCandidates(rejected);
  const byId = new Map(loaded.map((c) => [c.id, c]));
  const refs = [byId.get("ours"), byId.get("protobufjs")];
  if (refs.some((r) => r === undefined)) throw new Error(`reference codecs missing: ${[...rejected].map(([id, why]) => `${id}: ${why}`).join("; ")}`);
  const references = refs as Candidate[];
  for (const r of references) {
    const why = verify(r, references);
    if (why !== undefined) throw new Error(`reference codec ${r.id} fails verification: ${why}`);
  }
  const candidates: Candidate[] = [];
  for (const c of loaded) {
    const why = verify(c, references);
    if (why === undefined) candidates.push(c);
    else rejected.set(c.id, why);
  }
  const oursCandidate = byId.get("ours")!;
  const canonical = {} as Record<MessageName, Uint8Array>;
  for (const name of MESSAGES) canonical[name] = oursCandidate.codecs[name].encode(oursCandidate.native[name]);
  const identical = new Map(
    candidates.map((c) => [c.id, MESSAGES.every((name) => Buffer.from(c.codecs[name].encode(c.native[name])).equals(canonical[name]))]),
  );
  for (const [id, why] of rejected) console.log(`rejected ${id}: ${why}`);
  console.log(`timing ${candidates.map((c) => c.id).join(", ")}: ${MEASUREMENTS.length} measurements × (${WARMUP_SECONDS} s + ${ROUNDS} × ${ROUND_SECONDS} s) each`);
  const results = measure(candidates, canonical);
  const figures = report(candidates, results, canonical, identical, rejected);
  console.log(`\n${figures}\n`);
  if (WRITE) {
    writeReadme(figures);
    console.log(`wrote the figures into ${README}`);
  }
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

await main();
