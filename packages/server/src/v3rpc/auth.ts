/**
 * The Auth service: every RPC goes through raft (as in etcd) with the caller's auth info in
 * the request; passwords are checked and hashed here, on the member the client talks to, so
 * the log never carries a clear-text password.
 */
import { etcdserverpb as pb } from "@etcd-ts/api";
import { authenticate } from "../etcdserver/authenticate.js";
import type { EtcdServer } from "../etcdserver/EtcdServer.js";
import type { GrpcServer } from "../grpc/GrpcServer.js";

/** registerAuth adds the Auth service of `server` to a gRPC server. */
export function registerAuth(grpc: GrpcServer, server: EtcdServer): void {
  const S = pb.AuthService;
  // Each request goes through raft as it came (the caller's auth info rides along).
  grpc.addUnary(S.authEnable, async (request, call) => server.propose("authEnable", request, await server.authInfo(call.metadata)));
  grpc.addUnary(S.authDisable, async (request, call) => server.propose("authDisable", request, await server.authInfo(call.metadata)));
  grpc.addUnary(S.userDelete, async (request, call) => server.propose("userDelete", request, await server.authInfo(call.metadata)));
  grpc.addUnary(S.userGrantRole, async (request, call) => server.propose("userGrantRole", request, await server.authInfo(call.metadata)));
  grpc.addUnary(S.userGet, async (request, call) => server.propose("userGet", request, await server.authInfo(call.metadata)));
  grpc.addUnary(S.userList, async (request, call) => server.propose("userList", request, await server.authInfo(call.metadata)));
  grpc.addUnary(S.userRevokeRole, async (request, call) => server.propose("userRevokeRole", request, await server.authInfo(call.metadata)));
  grpc.addUnary(S.roleAdd, async (request, call) => server.propose("roleAdd", request, await server.authInfo(call.metadata)));
  grpc.addUnary(S.roleGet, async (request, call) => server.propose("roleGet", request, await server.authInfo(call.metadata)));
  grpc.addUnary(S.roleList, async (request, call) => server.propose("roleList", request, await server.authInfo(call.metadata)));
  grpc.addUnary(S.roleGrantPermission, async (request, call) => server.propose("roleGrantPermission", request, await server.authInfo(call.metadata)));
  grpc.addUnary(S.roleRevokePermission, async (request, call) => server.propose("roleRevokePermission", request, await server.authInfo(call.metadata)));
  grpc.addUnary(S.roleDelete, async (request, call) => server.propose("roleDelete", request, await server.authInfo(call.metadata)));

  grpc.addUnary(S.authenticate, (request) =>
    authenticate(
      server.auth,
      () => server.linearizableReadNotify(),
      async (proposal) => await server.propose("authenticate", pb.AuthenticateRequest.create(proposal)),
      request,
    ),
  );

  grpc.addUnary(S.userAdd, async (request, call) => {
    const authInfo = await server.authInfo(call.metadata);
    const hashed = request.password !== "" && !request.options?.noPassword ? await server.auth.hashPassword(request.password) : request.hashedPassword;
    const proposal = { ...request, password: "", hashedPassword: hashed };
    return await server.propose("userAdd", proposal, authInfo);
  });

  grpc.addUnary(S.userChangePassword, async (request, call) => {
    const authInfo = await server.authInfo(call.metadata);
    const hashed = request.password !== "" ? await server.auth.hashPassword(request.password) : request.hashedPassword;
    const proposal = { ...request, password: "", hashedPassword: hashed };
    return await server.propose("userChangePassword", proposal, authInfo);
  });

  // etcd 3.5: served from the member's own view, without raft.
  grpc.addUnary(S.authStatus, async () => {
    const status = server.auth.authStatus();
    return { ...status, header: server.header(server.watchable.revision) };
  });
}
