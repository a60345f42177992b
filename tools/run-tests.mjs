#!/usr/bin/env node
// Runs a package's tests with node's test runner: every `*.test.ts` under the given folders
// (default `test/`), TypeScript loaded through tsx. Node 20's `--test` does not expand globs,
// so the files are listed here. A package with no test files says so and succeeds.
//
// usage: node ../../tools/run-tests.mjs [dir ...] [--exclude=NAME ...] [-- extra node flags]
// (--exclude leaves out test files whose name contains NAME, e.g. suites a server lacks.)
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const args = process.argv.slice(2);
const dashes = args.indexOf("--");
const positional = dashes < 0 ? args : args.slice(0, dashes);
const excludes = positional.filter((a) => a.startsWith("--exclude=")).map((a) => a.slice("--exclude=".length));
const dirs = positional.filter((a) => !a.startsWith("--exclude="));
const extra = dashes < 0 ? [] : args.slice(dashes + 1);

/** @param {string} dir @returns {string[]} */
function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "fixtures" ? [] : testFiles(path);
    return /\.test\.[cm]?[jt]s$/.test(name) ? [path] : [];
  });
}

const files = (dirs.length > 0 ? dirs : ["test"])
  .flatMap(testFiles)
  .filter((file) => !excludes.some((name) => file.includes(name)))
  .sort();
if (files.length === 0) {
  console.log(`no test files in ${dirs.length > 0 ? dirs.join(", ") : "test/"} of ${relative(process.cwd(), process.cwd()) || process.cwd()}`);
  process.exit(0);
}
const result = spawnSync(process.execPath, ["--import", "tsx", ...extra, "--test", ...files], { stdio: "inherit" });
process.exit(result.status ?? 1);
