import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { freeze, isStopped } from "../src/index.js";

test("freeze resolves once every thread of a busy multi-threaded process is stopped", { skip: process.platform !== "linux" && "reads /proc" }, async () => {
  // Two worker threads spinning and the main thread ticking: threads that are running when
  // the signal arrives, and threads that are asleep.
  const source = `const { Worker } = require("node:worker_threads");
    for (let i = 0; i < 2; i++) new Worker("for (;;) {}", { eval: true });
    setInterval(() => {}, 1);
    console.log("ready");`;
  const child = spawn(process.execPath, ["-e", source], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await once(child.stdout, "data");
    assert.equal(isStopped(child.pid!), false);
    await freeze(child.pid!);
    assert.equal(isStopped(child.pid!), true);
    process.kill(child.pid!, "SIGCONT");
    for (let i = 0; i < 500 && isStopped(child.pid!); i++) await new Promise((r) => setTimeout(r, 2));
    assert.equal(isStopped(child.pid!), false, "running again after SIGCONT");
  } finally {
    child.kill("SIGKILL");
    await once(child, "exit");
  }
});
