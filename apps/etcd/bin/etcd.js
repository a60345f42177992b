#!/usr/bin/env node
// The etcd daemon. The server is built by issue #8; until then this entry point only says so.
console.error("etcd-ts: the server is not built yet (issue #8); the daemon cannot start.");
process.exit(1);
