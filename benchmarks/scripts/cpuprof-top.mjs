#!/usr/bin/env node
// Prints the top frames by self time of V8 .cpuprofile files (node --cpu-prof output):
// usage: node scripts/cpuprof-top.mjs FILE.cpuprofile [...] [--top 25]
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const topIndex = args.indexOf("--top");
const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 25;
const files = topIndex < 0 ? args : [...args.slice(0, topIndex), ...args.slice(topIndex + 2)];

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfTicks = new Map();
  for (const id of profile.samples) selfTicks.set(id, (selfTicks.get(id) ?? 0) + 1);
  const frames = new Map();
  let total = 0;
  for (const [id, ticks] of selfTicks) {
    const node = byId.get(id);
    const f = node.callFrame;
    const where = f.url ? `${f.url.replace(/^.*\/(node_modules|packages|apps)\//, "$1/")}:${f.lineNumber + 1}` : "";
    const name = `${f.functionName || "(anonymous)"} ${where}`.trim();
    frames.set(name, (frames.get(name) ?? 0) + ticks);
    total += ticks;
  }
  console.log(`# ${file}: ${total} samples`);
  for (const [name, ticks] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((ticks / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
}
