#!/usr/bin/env node
// Rewrites the speed table of the top-level README.md (between its speed-table markers) from
// benchmarks/RESULTS.md; see src/side/readmeTable.ts. Run after RESULTS.md changes (the
// `results` script does); needs a build first (the `readme` script builds).
//
// usage: node benchmarks/scripts/readme-table.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readmeSection, spliceReadme } from "../dist/side/readmeTable.js";

const resultsPath = join(import.meta.dirname, "..", "RESULTS.md");
const readmePath = join(import.meta.dirname, "..", "..", "README.md");
const readme = readFileSync(readmePath, "utf8");
const updated = spliceReadme(readme, readmeSection(readFileSync(resultsPath, "utf8")));
if (updated === readme) {
  console.log("README.md's speed table is up to date");
} else {
  writeFileSync(readmePath, updated);
  console.log("rewrote README.md's speed table from benchmarks/RESULTS.md");
}
