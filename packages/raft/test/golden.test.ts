/**
 * Golden trace tests: each file in test/testdata is a script of commands, each followed by the
 * trace it must produce (every delivered message, role change and command output), in the
 * style of etcd's raft interaction tests. Review a trace like a protocol diagram.
 *
 * Regenerate after an intended behaviour change with RAFT_REWRITE_GOLDEN=1 and read the diff.
 *
 * Commands:
 *   cluster <ids...> [prevote] [checkquorum] [bootstrap] [learners=<ids,>]
 *   campaign <id> | tick <n> [<ids,>] | propose <id> <data> | read <id> <ctx>
 *   transfer <leader> <transferee> | conf <id> <v1|auto|implicit|explicit> [add=..] [remove=..] [learner=..]
 *   leave-joint <id> | isolate <id> | partition <ids,> <ids,> | heal | crash <id> | restart <id>
 *   add-node <id> | compact <id> | status [<ids,>] | log <id>
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import {
  ConfChangeTransition,
  ConfChangeType,
  EMPTY_BYTES,
  ErrProposalDropped,
  MemoryStorage,
  stateTypeName,
  type ConfChangeSingle,
  type NodeId,
} from "../src/index.js";
import { describeEntry, Simulator } from "./support/Simulator.js";

const dir = new URL("./testdata/", import.meta.url);
const rewrite = process.env["RAFT_REWRITE_GOLDEN"] !== undefined;

interface Block {
  comments: string[];
  command: string;
  expected: string[];
}

function parse(text: string): { blocks: Block[]; trailer: string[] } {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  let comments: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      comments.push(line);
      continue;
    }
    if (lines[i + 1] !== "----") throw new Error(`line ${i + 1}: expected ---- after command "${line}"`);
    const expected: string[] = [];
    i += 2;
    while (i < lines.length && lines[i]!.trim() !== "") expected.push(lines[i++]!);
    blocks.push({ comments, command: line, expected });
    comments = [];
  }
  return { blocks, trailer: comments };
}

const ids = (s: string): NodeId[] => s.split(",").filter((x) => x !== "").map(BigInt);

class Interpreter {
  sim: Simulator | undefined;

  run(command: string): string[] {
    const [cmd, ...args] = command.split(/\s+/);
    const out: string[] = [];
    if (cmd === "cluster") {
      const members = args.filter((a) => /^\d+$/.test(a)).map(BigInt);
      const learners = ids(args.find((a) => a.startsWith("learners="))?.slice(9) ?? "");
      this.sim = new Simulator([...members, ...learners], {
        preVote: args.includes("prevote"),
        checkQuorum: args.includes("checkquorum"),
        bootstrap: args.includes("bootstrap"),
        ...(learners.length > 0 ? { learners } : {}),
      });
      return ["ok"];
    }
    const sim = this.sim;
    if (sim === undefined) throw new Error("no cluster");
    sim.trace = out;
    const id = args[0] !== undefined && /^\d+$/.test(args[0]) ? BigInt(args[0]) : 0n;
    switch (cmd) {
      case "campaign":
        sim.node(id).node.campaign();
        sim.stabilize();
        break;
      case "tick": {
        const which = args[1] !== undefined ? ids(args[1]) : undefined;
        for (let i = 0; i < Number(args[0]); i++) {
          sim.tick(which);
          sim.stabilize();
        }
        break;
      }
      case "propose":
        if (!sim.propose(id, args.slice(1).join(" "))) out.push("dropped");
        sim.stabilize();
        break;
      case "read": {
        const n = sim.node(id);
        const before = n.readStates.length;
        n.node.readIndex(new TextEncoder().encode(args[1] ?? ""));
        sim.stabilize();
        for (const rs of n.readStates.slice(before)) out.push(`${id} read state: index=${rs.index} ctx=${JSON.stringify(rs.ctx)}`);
        break;
      }
      case "transfer":
        sim.node(id).node.transferLeader(BigInt(args[1]!));
        sim.stabilize();
        break;
      case "conf": {
        const changes: ConfChangeSingle[] = [];
        for (const a of args.slice(2)) {
          const [k, v] = a.split("=") as [string, string];
          const type = { add: ConfChangeType.ConfChangeAddNode, remove: ConfChangeType.ConfChangeRemoveNode, learner: ConfChangeType.ConfChangeAddLearnerNode }[k];
          if (type === undefined) throw new Error(`bad change ${a}`);
          for (const nodeId of ids(v)) changes.push({ type, nodeId });
        }
        try {
          if (args[1] === "v1") {
            sim.node(id).node.proposeConfChange({ type: changes[0]!.type, nodeId: changes[0]!.nodeId, context: EMPTY_BYTES, id: 0n });
          } else {
            const transition = {
              auto: ConfChangeTransition.ConfChangeTransitionAuto,
              implicit: ConfChangeTransition.ConfChangeTransitionJointImplicit,
              explicit: ConfChangeTransition.ConfChangeTransitionJointExplicit,
            }[args[1] as "auto"];
            sim.node(id).node.proposeConfChange({ transition, changes, context: EMPTY_BYTES });
          }
        } catch (e) {
          if (e !== ErrProposalDropped) throw e;
          out.push("dropped");
        }
        sim.stabilize();
        break;
      }
      case "leave-joint":
        sim.node(id).node.proposeConfChange({ transition: 0, changes: [], context: EMPTY_BYTES });
        sim.stabilize();
        break;
      case "isolate":
        sim.isolate(id);
        break;
      case "partition":
        sim.partition(ids(args[0]!), ids(args[1]!));
        break;
      case "heal":
        sim.heal();
        break;
      case "crash":
        sim.crash(id);
        break;
      case "restart":
        sim.restart(id);
        sim.stabilize();
        break;
      case "add-node":
        sim.addNode(id, new MemoryStorage());
        break;
      case "compact": {
        sim.compact(id);
        const n = sim.node(id);
        out.push(`${id} compacted: snapshot at ${n.storage.snapshot().metadata.index}, first index ${n.storage.firstIndex()}`);
        break;
      }
      case "status": {
        const which = args[0] !== undefined ? ids(args[0]) : [...sim.nodes.keys()];
        for (const nid of which) {
          const n = sim.node(nid);
          if (!n.up) {
            out.push(`${nid}: down`);
            continue;
          }
          const st = n.node.status();
          const c = st.config;
          let conf = `voters=(${c.voters.join(" ")})`;
          if (c.votersOutgoing.length > 0) conf += `&&(${c.votersOutgoing.join(" ")})`;
          if (c.learners.length > 0) conf += ` learners=(${c.learners.join(" ")})`;
          if (c.learnersNext.length > 0) conf += ` learners_next=(${c.learnersNext.join(" ")})`;
          out.push(
            `${nid}: ${stateTypeName(st.softState.raftState).slice(5).toLowerCase()} term=${st.hardState.term} lead=${st.softState.lead} commit=${st.hardState.commit} applied=${st.applied} last=${n.raft.raftLog.lastIndex()} ${conf}`,
          );
        }
        break;
      }
      case "log": {
        const log = sim.node(id).raft.raftLog;
        out.push(`${id} log: first=${log.firstIndex()} [${log.allEntries().map(describeEntry).join(", ")}]`);
        break;
      }
      default:
        throw new Error(`unknown command ${cmd}`);
    }
    sim.trace = undefined;
    if (sim.violations.length > 0) out.push(...sim.violations.map((v) => `VIOLATION ${v}`));
    return out.length > 0 ? out : ["ok"];
  }
}

for (const file of readdirSync(dir).filter((f) => f.endsWith(".txt")).sort()) {
  test(`golden trace ${file}`, () => {
    const url = new URL(file, dir);
    const { blocks, trailer } = parse(readFileSync(url, "utf8"));
    const interp = new Interpreter();
    const rendered: string[] = [];
    for (const b of blocks) {
      const got = interp.run(b.command);
      rendered.push(...b.comments, b.command, "----", ...got, "");
      if (!rewrite) assert.deepEqual(got, b.expected, `${file}: ${b.command}`);
    }
    if (rewrite) writeFileSync(url, [...rendered, ...trailer].join("\n"));
  });
}
