// The client's modules import one another without a circle (type-only imports included):
// a circle makes evaluation order decide whether a binding is ready, and hides which module
// is the lower layer. KV.ts and Txn.ts once formed one; their shared wire code lives in
// internal/requests.ts and their shared types in kvTypes.ts so that neither needs the other.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../src");

/** sourceFiles lists every .ts file under dir. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** relativeImports lists the files a module imports or re-exports from, by path. */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/\bfrom\s+["'](\.{1,2}\/[^"']+)["']/g)].map((m) => resolve(dirname(file), m[1]!.replace(/\.js$/, ".ts")));
}

/** findCycle returns one import circle as a list of files (first repeated last), or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): string[] | undefined => {
    const at = path.indexOf(file);
    if (at >= 0) return [...path.slice(at), file];
    if (done.has(file)) return undefined;
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    done.add(file);
    return undefined;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

test("the client's source files import one another without a circle", () => {
  const graph = new Map(sourceFiles(SRC).map((file) => [file, relativeImports(file)]));
  assert.ok(graph.size > 10, "the walk found the sources");
  assert.ok(graph.get(join(SRC, "KV.ts"))?.includes(join(SRC, "Txn.ts")), "the parser sees KV.ts import Txn.ts");
  const cycle = findCycle(graph);
  assert.equal(cycle?.map((file) => relative(SRC, file)).join(" -> "), undefined);
});
