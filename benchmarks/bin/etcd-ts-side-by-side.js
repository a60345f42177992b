#!/usr/bin/env node
// etcd-ts-side-by-side: the matrix against the real etcd and etcd-ts (see the package README).
// Needs a build first: `pnpm --filter @etcd-ts/benchmarks build`.
import { main } from "../dist/side/sideBySide.js";

process.exitCode = await main(process.argv.slice(2));
