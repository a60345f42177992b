// The README's speed table is generated from RESULTS.md: the committed README must hold
// exactly what the committed RESULTS.md generates (a check of files, not of timings), and the
// generator reads RESULTS.md's table by column name.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { BEGIN_MARKER, END_MARKER, ResultsTableError, readmeSection, spliceReadme } from "../src/side/readmeTable.js";

const RESULTS = `# Benchmark results

- Date: 2026-01-02T03:04:05.000Z (matrix took 1 s; load average before: 0.1)
- Machine: 2 × Some CPU, 1.0 GiB RAM, Linux 6, Node v20.0.0
- etcd: etcd Version: 3.4.23 (single member, started per round with the flags below)

Targets: etcd-ts throughput >= 1.0x etcd's, p99 latency <= 1.2x. Ratios are etcd-ts / etcd.

| Row | etcd QPS | etcd-ts QPS | QPS ratio | etcd p99 | etcd-ts p99 | p99 ratio | etcd RSS | etcd-ts RSS | RSS ratio | Targets |
|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|
| put, 1 conn / 1 client | 2,000 | 1,000 | 0.50x | 2.0 ms | 4.0 ms | 2.00x | 30 MiB | 120 MiB | 4.00x | QPS **below** |

## Scale
`;

test("the committed README.md's speed table is what the committed RESULTS.md generates", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const results = readFileSync(new URL("../RESULTS.md", import.meta.url), "utf8");
  assert.equal(
    readme,
    spliceReadme(readme, readmeSection(results)),
    "README.md's speed table differs from benchmarks/RESULTS.md: run `pnpm --filter @etcd-ts/benchmarks readme` and commit README.md",
  );
});

test("the section carries RESULTS.md's date, machine, etcd version, targets and chosen columns", () => {
  assert.equal(
    readmeSection(RESULTS),
    [
      "Run of 2026-01-02 on 2 × Some CPU, 1.0 GiB RAM, Linux 6, Node v20.0.0; etcd 3.4.23. Targets: etcd-ts throughput >= 1.0x etcd's, p99 latency <= 1.2x. Ratios are etcd-ts / etcd.",
      "",
      "| Row | etcd QPS | etcd-ts QPS | QPS ratio | p99 ratio | peak RSS (etcd / etcd-ts) |",
      "|---|--:|--:|--:|--:|--:|",
      "| put, 1 conn / 1 client | 2,000 | 1,000 | 0.50x | 2.00x | 30 MiB / 120 MiB |",
    ].join("\n"),
  );
});

test("splicing replaces only the text between the markers, and is idempotent", () => {
  const readme = `# title\n\nbefore\n\n${BEGIN_MARKER}\nold table\n${END_MARKER}\n\nafter\n`;
  const once = spliceReadme(readme, "new table");
  assert.equal(once, `# title\n\nbefore\n\n${BEGIN_MARKER}\nnew table\n${END_MARKER}\n\nafter\n`);
  assert.equal(spliceReadme(once, "new table"), once);
});

test("missing markers, a missing column or a missing table are errors, not a silent table", () => {
  assert.throws(() => spliceReadme("# no markers\n", "x"), ResultsTableError);
  assert.throws(() => readmeSection(RESULTS.replace("| p99 ratio ", "| p99 ")), /no "p99 ratio" column/);
  assert.throws(() => readmeSection(RESULTS.replace(/\| Row[^]*?## Scale/, "## Scale")), /no table/);
});
