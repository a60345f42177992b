/**
 * restore: rebuild a configuration and progress map from a ConfState (as found in a
 * snapshot or at startup). It replays the ConfState as a sequence of simple changes (and one
 * joint entry if the ConfState is joint), so the result obeys every transition rule.
 */
import type { ConfChangeSingle, ConfState } from "../types.js";
import { ConfChangeType } from "../types.js";
import { Changer } from "./Changer.js";
import type { ChangeResult, ChangerBase } from "./Changer.js";

function toConfChangeSingle(cs: ConfState): { outgoing: ConfChangeSingle[]; incoming: ConfChangeSingle[] } {
  // The outgoing config is built first (as if it were the only one), then the joint config is
  // entered by removing the outgoing voters and adding everything of the incoming side.
  const outgoing: ConfChangeSingle[] = cs.votersOutgoing.map((nodeId) => ({ type: ConfChangeType.ConfChangeAddNode, nodeId }));
  const incoming: ConfChangeSingle[] = [];
  for (const nodeId of cs.votersOutgoing) incoming.push({ type: ConfChangeType.ConfChangeRemoveNode, nodeId });
  for (const nodeId of cs.voters) incoming.push({ type: ConfChangeType.ConfChangeAddNode, nodeId });
  for (const nodeId of cs.learners) incoming.push({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId });
  // learnersNext are voters of the outgoing config that become learners on leaving.
  for (const nodeId of cs.learnersNext) incoming.push({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId });
  return { outgoing, incoming };
}

/** restoreConfig builds the configuration described by `cs`, starting from `base` (normally empty). */
export function restoreConfig(base: ChangerBase, cs: ConfState): ChangeResult {
  const { outgoing, incoming } = toConfChangeSingle(cs);
  let state: ChangerBase = base;
  const step = (r: ChangeResult): void => {
    state = { ...state, config: r.config, progress: r.progress };
  };
  if (outgoing.length === 0) {
    for (const cc of incoming) step(new Changer(state).simple([cc]));
  } else {
    for (const cc of outgoing) step(new Changer(state).simple([cc]));
    step(new Changer(state).enterJoint(cs.autoLeave, incoming));
  }
  return { config: state.config, progress: state.progress };
}
