// Flag parsing: etcd's benchmark command lines parse as cobra/pflag would, and bad ones are
// refused with the flag named.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCommand } from "../src/commands.js";
import { FlagError, parseArgs, parseDuration } from "../src/flags.js";

test("etcd's published put command parses, global flags before the command", () => {
  const { command, get } = parseCommand(
    "--endpoints=10.0.0.1:2379,10.0.0.2:2379 --target-leader --conns=100 --clients=1000 put --key-size=8 --sequential-keys --total=100000 --val-size=256".split(" "),
  );
  assert.equal(command, "put");
  assert.deepEqual(get.list("endpoints"), ["10.0.0.1:2379", "10.0.0.2:2379"]);
  assert.equal(get.bool("target-leader"), true);
  assert.equal(get.number("conns"), 100);
  assert.equal(get.number("clients"), 1000);
  assert.equal(get.number("total"), 100000);
  assert.equal(get.number("key-size"), 8);
  assert.equal(get.number("val-size"), 256);
  assert.equal(get.bool("sequential-keys"), true);
  assert.equal(get.number("key-space-size"), 1, "etcd's default");
  assert.equal(get.isSet("key-space-size"), false);
});

test("range takes KEY [END] positionals and flags after them; defaults are etcd's", () => {
  const { command, get, positionals } = parseCommand(["range", "foo", "fop", "--consistency", "s", "--total", "50", "--clients", "4"]);
  assert.equal(command, "range");
  assert.deepEqual(positionals, ["foo", "fop"]);
  assert.equal(get.string("consistency"), "s");
  assert.equal(get.number("clients"), 4);
  assert.equal(get.number("conns"), 1);
  assert.deepEqual(get.list("endpoints"), ["127.0.0.1:2379"]);
});

test("bools take =false; durations read Go syntax", () => {
  const { get } = parseCommand(["put", "--sequential-keys=false", "--duration", "1m30s"]);
  assert.equal(get.bool("sequential-keys"), false);
  assert.equal(get.number("duration"), 90_000);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("2"), 2000);
  assert.throws(() => parseDuration("5 parsecs"), FlagError);
});

test("unknown flags, missing values and bad numbers are errors naming the flag", () => {
  assert.throws(() => parseCommand(["put", "--key-sise", "8"]), /unknown flag: --key-sise/);
  assert.throws(() => parseCommand(["put", "--total"]), /flag needs an argument: --total/);
  assert.throws(() => parseCommand(["put", "--total", "many"]), /invalid argument "many" for "--total"/);
  assert.throws(() => parseCommand(["--consistency", "s", "put"]), /unknown flag: --consistency/, "command flags belong to their command");
  assert.throws(() => parseCommand(["--total", "5"]), /no command given/);
  assert.throws(() => parseArgs(["--x=1"], []), FlagError);
});
