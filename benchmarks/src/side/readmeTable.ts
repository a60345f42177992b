/**
 * readmeTable: the speed table of the top-level README.md, generated from RESULTS.md so that
 * the README never carries a figure copied by hand.
 *
 * The README holds the table between two marker comments ({@link BEGIN_MARKER},
 * {@link END_MARKER}); {@link spliceReadme} replaces what lies between them with
 * {@link readmeSection}, which reads RESULTS.md's table (by column name) and its date, machine,
 * etcd version and targets lines. `pnpm --filter @etcd-ts/benchmarks results` runs it after
 * writing RESULTS.md, `pnpm --filter @etcd-ts/benchmarks readme` runs it alone, and
 * `test/readmeTable.test.ts` fails when the committed README differs from what the committed
 * RESULTS.md generates. Pure: text in, text out; the file I/O is in `scripts/readme-table.mjs`.
 *
 * It does not run benchmarks, and it does not check the figures themselves.
 */

/** BEGIN_MARKER opens the generated part of README.md. */
export const BEGIN_MARKER =
  "<!-- speed-table:begin (generated from benchmarks/RESULTS.md by `pnpm --filter @etcd-ts/benchmarks readme`; do not edit by hand) -->";
/** END_MARKER closes the generated part of README.md. */
export const END_MARKER = "<!-- speed-table:end -->";

/** README_COLUMNS: the README's columns, each built from RESULTS.md's columns by their header names. */
const README_COLUMNS: readonly { readonly header: string; readonly align: string; readonly cell: (get: (name: string) => string) => string }[] = [
  { header: "Row", align: "---", cell: (get) => get("Row") },
  { header: "etcd QPS", align: "--:", cell: (get) => get("etcd QPS") },
  { header: "etcd-ts QPS", align: "--:", cell: (get) => get("etcd-ts QPS") },
  { header: "QPS ratio", align: "--:", cell: (get) => get("QPS ratio") },
  { header: "p99 ratio", align: "--:", cell: (get) => get("p99 ratio") },
  { header: "peak RSS (etcd / etcd-ts)", align: "--:", cell: (get) => `${get("etcd RSS")} / ${get("etcd-ts RSS")}` },
];

/** ResultsTableError: RESULTS.md lacks what the README section is built from. */
export class ResultsTableError extends Error {
  override name = "ResultsTableError";
}

/** splitRow cuts a markdown table line into its trimmed cells. */
function splitRow(line: string): string[] {
  return line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((cell) => cell.trim());
}

/** listItem returns the value of RESULTS.md's `- Name: value` line. */
function listItem(results: string, name: string): string {
  const line = results.split("\n").find((l) => l.startsWith(`- ${name}: `));
  if (line === undefined) throw new ResultsTableError(`RESULTS.md has no "- ${name}:" line`);
  return line.slice(`- ${name}: `.length).trim();
}

/** readmeSection renders the README's generated part (markers excluded) from RESULTS.md's text. */
export function readmeSection(results: string): string {
  const lines = results.split("\n");
  const start = lines.findIndex((l) => l.startsWith("| Row |"));
  if (start < 0) throw new ResultsTableError('RESULTS.md has no table (a line starting "| Row |")');
  const header = splitRow(lines[start]!);
  const body: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    body.push(splitRow(line));
  }
  if (body.length === 0) throw new ResultsTableError("RESULTS.md's table has no rows");

  const table = [
    `| ${README_COLUMNS.map((c) => c.header).join(" | ")} |`,
    `|${README_COLUMNS.map((c) => c.align).join("|")}|`,
    ...body.map((cells) => {
      const get = (name: string): string => {
        const index = header.indexOf(name);
        if (index < 0) throw new ResultsTableError(`RESULTS.md's table has no "${name}" column`);
        return cells[index] ?? "";
      };
      return `| ${README_COLUMNS.map((c) => c.cell(get)).join(" | ")} |`;
    }),
  ];

  const date = listItem(results, "Date").slice(0, 10);
  const machine = listItem(results, "Machine");
  const etcd = listItem(results, "etcd");
  const etcdVersion = /Version:\s*(\S+)/.exec(etcd)?.[1] ?? etcd;
  const targets = lines.find((l) => l.startsWith("Targets: "));
  if (targets === undefined) throw new ResultsTableError('RESULTS.md has no "Targets:" line');
  const provenance = `Run of ${date} on ${machine}; etcd ${etcdVersion}. ${targets.trim()}`;
  return [provenance, "", ...table].join("\n");
}

/** spliceReadme returns `readme` with the text between the markers replaced by `section`. */
export function spliceReadme(readme: string, section: string): string {
  const begin = readme.indexOf(BEGIN_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (begin < 0 || end < 0 || end < begin) throw new ResultsTableError(`README.md lacks the markers ${BEGIN_MARKER} ... ${END_MARKER}`);
  return `${readme.slice(0, begin + BEGIN_MARKER.length)}\n${section}\n${readme.slice(end)}`;
}
