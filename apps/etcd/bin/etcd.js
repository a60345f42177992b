#!/usr/bin/env node
// The etcd daemon: reads etcd's flags, ETCD_* variables and --config-file through
// parseDaemonArgs (dist/cli.js), prints what it says, and starts the member with
// @etcd-ts/server's startEtcd; SIGTERM/SIGINT stop it gracefully.
// Needs a build first: `pnpm --filter @etcd-ts/etcd build`.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { URL } from "node:url";
import { startEtcd } from "@etcd-ts/server";
import { formatNote, parseDaemonArgs } from "../dist/index.js";

const result = parseDaemonArgs(process.argv.slice(2), process.env, {
  isInitialized: (dataDir) => existsSync(join(dataDir, "member")),
});

switch (result.kind) {
  case "version":
    process.stdout.write(result.text);
    process.exit(0);
    break;
  case "help":
    process.stderr.write(result.usage);
    process.stdout.write(result.text);
    process.exit(0);
    break;
  case "error":
    for (const note of result.notes) {
      if (note.level !== "debug") process.stderr.write(`${formatNote(note, "capnslog", new Date())}\n`);
    }
    process.stderr.write(result.message);
    process.exit(result.exitCode);
    break;
  case "run": {
    const { config } = result;
    for (const note of result.notes) {
      if (note.level !== "debug" || config.logLevel === "debug") process.stderr.write(`${formatNote(note, config.logger, new Date())}\n`);
    }
    const log = (level, pkg, text) => process.stderr.write(`${formatNote({ level, pkg, text }, config.logger, new Date())}\n`);
    let etcd;
    try {
      etcd = await startEtcd(config, {
        onTlsReject: (remote, reason) => log("info", "embed", `rejected connection from ${JSON.stringify(remote)} (error ${JSON.stringify(reason)})`),
      });
    } catch (error) {
      log("fatal", "etcdmain", error instanceof Error ? error.message : String(error));
      process.exit(1);
    }
    const tls = etcd.config.clientTls;
    if (tls.certFile !== "" || tls.keyFile !== "") {
      log("info", "embed", `ClientTLS: cert = ${tls.certFile}, key = ${tls.keyFile}, trusted-ca = ${tls.trustedCaFile}, client-cert-auth = ${tls.clientCertAuth}, crl-file = ${tls.crlFile}`);
    }
    log("info", "etcdserver", `published {Name:${config.name} ClientURLs:[${etcd.config.advertiseClientUrls.join(" ")}]} to cluster`);
    log("info", "embed", "ready to serve client requests");
    for (const url of etcd.clientUrls) {
      const { protocol, host } = new URL(url);
      if (protocol === "https:") log("info", "embed", `serving client requests on ${host}`);
      else log("notice", "embed", `serving insecure client requests on ${host}, this is strongly discouraged!`);
    }
    let stopping = false;
    const stop = (signal) => {
      if (stopping) return;
      stopping = true;
      log("notice", "osutil", `received ${signal} signal, shutting down...`);
      etcd.close().then(
        () => process.exit(0),
        (error) => {
          log("error", "etcdmain", `stopping: ${error instanceof Error ? error.message : String(error)}`);
          process.exit(1);
        },
      );
    };
    process.on("SIGTERM", () => stop("terminated"));
    process.on("SIGINT", () => stop("interrupt"));
    break;
  }
}
