/**
 * The Auth service: the member's Authenticator (see etcdserver/Authenticator.ts). Every RPC
 * goes through raft (as in etcd) with the caller's auth info; passwords are checked and
 * hashed on the member, so the log never carries a clear-text password.
 */
import { etcdserverpb as pb } from "@etcd-ts/api";
import type { Authenticator } from "../etcdserver/Authenticator.js";
import type { GrpcServer } from "../grpc/GrpcServer.js";

/** registerAuth adds the Auth service of `server` to a gRPC server. */
export function registerAuth(grpc: GrpcServer, server: Authenticator): void {
  const S = pb.AuthService;
  const caller = (call: { readonly metadata: Readonly<Record<string, string>> }): ReturnType<Authenticator["authInfo"]> => server.authInfo(call.metadata);
  // Each request goes through raft as it came (the caller's auth info rides along).
  grpc.addUnary(S.authEnable, async (request, call) => server.authRequest("authEnable", request, await caller(call)));
  grpc.addUnary(S.authDisable, async (request, call) => server.authRequest("authDisable", request, await caller(call)));
  grpc.addUnary(S.userDelete, async (request, call) => server.authRequest("userDelete", request, await caller(call)));
  grpc.addUnary(S.userGrantRole, async (request, call) => server.authRequest("userGrantRole", request, await caller(call)));
  grpc.addUnary(S.userGet, async (request, call) => server.authRequest("userGet", request, await caller(call)));
  grpc.addUnary(S.userList, async (request, call) => server.authRequest("userList", request, await caller(call)));
  grpc.addUnary(S.userRevokeRole, async (request, call) => server.authRequest("userRevokeRole", request, await caller(call)));
  grpc.addUnary(S.roleAdd, async (request, call) => server.authRequest("roleAdd", request, await caller(call)));
  grpc.addUnary(S.roleGet, async (request, call) => server.authRequest("roleGet", request, await caller(call)));
  grpc.addUnary(S.roleList, async (request, call) => server.authRequest("roleList", request, await caller(call)));
  grpc.addUnary(S.roleGrantPermission, async (request, call) => server.authRequest("roleGrantPermission", request, await caller(call)));
  grpc.addUnary(S.roleRevokePermission, async (request, call) => server.authRequest("roleRevokePermission", request, await caller(call)));
  grpc.addUnary(S.roleDelete, async (request, call) => server.authRequest("roleDelete", request, await caller(call)));

  grpc.addUnary(S.authenticate, (request) => server.authenticate(request));
  grpc.addUnary(S.userAdd, async (request, call) => server.userAdd(request, await caller(call)));
  grpc.addUnary(S.userChangePassword, async (request, call) => server.userChangePassword(request, await caller(call)));
  grpc.addUnary(S.authStatus, () => server.authStatus());
}
