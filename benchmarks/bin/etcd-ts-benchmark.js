#!/usr/bin/env node
// etcd-ts-benchmark: etcd's benchmark tool for etcd and etcd-ts (see the package README).
// Needs a build first: `pnpm --filter @etcd-ts/benchmarks build`.
import { main } from "../dist/cli.js";

process.exitCode = await main(process.argv.slice(2));
