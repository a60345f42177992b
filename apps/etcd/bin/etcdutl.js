#!/usr/bin/env node
// etcdutl: offline tools for a member's files (snapshot status, snapshot restore), as etcd 3.5
// ships them. Needs a build first: `pnpm --filter @etcd-ts/etcd build`.
import { runEtcdutl } from "../dist/index.js";

process.exitCode = await runEtcdutl(process.argv.slice(2), (s) => process.stdout.write(s), (s) => process.stderr.write(s));
