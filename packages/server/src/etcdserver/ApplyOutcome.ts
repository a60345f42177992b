/**
 * ApplyOutcome: what applying one proposed request produced, handed to its proposer.
 */
import type { EtcdError } from "@etcd-ts/api";

/** ApplyOutcome is a response message (header filled) or an etcd error. */
export type ApplyOutcome = { readonly ok: true; readonly response: unknown } | { readonly ok: false; readonly error: EtcdError };
