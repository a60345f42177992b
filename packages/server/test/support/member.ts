/**
 * An in-process member on a temporary (or given) data dir with a real client port, and a
 * typed unary gRPC call to it over real HTTP/2 (through {@link grpcCall}).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EtcdConfigOptions } from "../../src/config/EtcdConfig.js";
import { startEtcd, type Etcd } from "../../src/embed/startEtcd.js";
import assert from "node:assert/strict";
import type { ClientHttp2Session } from "node:http2";
import { GrpcStatus, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";
import { grpcCall, grpcFrame } from "./grpcProbe.js";

/** DataDirs hands out temporary data dirs and removes them all at `removeAll`. */
export class DataDirs {
  private readonly dirs: string[] = [];

  /** make creates a new empty data dir. */
  async make(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "etcd-ts-test-"));
    this.dirs.push(dir);
    return dir;
  }

  /** removeAll deletes every dir made. */
  async removeAll(): Promise<void> {
    for (const dir of this.dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  }
}

/** startMember starts a member on dataDir with a client port picked by the kernel. */
export function startMember(dataDir: string, options: EtcdConfigOptions = {}): Promise<Etcd> {
  return startEtcd({ dataDir, listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"], ...options });
}

/** Answer is a unary call's status, message and decoded response. */
export interface Answer<T> {
  readonly status: number | undefined;
  readonly message: string;
  readonly response: T | undefined;
}

/** UnaryOptions: a `token` header, a connection to reuse, how long to wait (default 3 s). */
export interface UnaryOptions {
  readonly token?: string | undefined;
  readonly session?: ClientHttp2Session;
  readonly waitMs?: number;
}

/** unary makes one unary gRPC call to `address` (host:port) and decodes its answer. */
export async function unary<Req, Res>(address: string, method: MethodDefinition<Req, Res>, request: PartialMessage<Req>, options: UnaryOptions = {}): Promise<Answer<Res>> {
  const outcome = await grpcCall(address, method.path, [grpcFrame(method.requestType.encode(request))], {
    ...(options.session ? { session: options.session } : {}),
    ...(options.waitMs !== undefined ? { waitMs: options.waitMs } : {}),
    headers: options.token === undefined ? {} : { token: options.token },
  });
  return { status: outcome.status, message: outcome.message, response: outcome.messages[0] ? method.responseType.decode(outcome.messages[0]) : undefined };
}

/** call makes one unary gRPC call to the member and decodes its answer. */
export function call<Req, Res>(etcd: Etcd, method: MethodDefinition<Req, Res>, request: PartialMessage<Req>): Promise<Answer<Res>> {
  return unary(etcd.clientUrls[0]!.replace("http://", ""), method, request);
}

/** okResponse returns an answer's response, failing the test unless its status is OK. */
export function okResponse<Res>(answer: Answer<Res>, what: string): Res {
  assert.equal(answer.status, GrpcStatus.OK, `${what}: ${answer.message}`);
  return answer.response!;
}
