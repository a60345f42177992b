/**
 * The Auth service: every RPC goes through raft (as in etcd) with the caller's auth info in
 * the request; passwords are checked and hashed here, on the member the client talks to, so
 * the log never carries a clear-text password.
 */
import { etcdserverpb as pb, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";
import { authenticate } from "../etcdserver/authenticate.js";
import type { EtcdServer } from "../etcdserver/EtcdServer.js";
import type { RequestKind } from "../etcdserver/InternalRequest.js";
import type { GrpcServer } from "../grpc/GrpcServer.js";

/** registerAuth adds the Auth service of `server` to a gRPC server. */
export function registerAuth(grpc: GrpcServer, server: EtcdServer): void {
  const S = pb.AuthService;
  const through = <Req, Res>(method: MethodDefinition<Req, Res>, kind: RequestKind): void => {
    grpc.addUnary(method, async (request, call) => (await server.propose(kind, request as never, await server.authInfo(call.metadata))) as PartialMessage<Res>);
  };
  through(S.authEnable, "authEnable");
  through(S.authDisable, "authDisable");
  through(S.userDelete, "userDelete");
  through(S.userGrantRole, "userGrantRole");
  through(S.userGet, "userGet");
  through(S.userList, "userList");
  through(S.userRevokeRole, "userRevokeRole");
  through(S.roleAdd, "roleAdd");
  through(S.roleGet, "roleGet");
  through(S.roleList, "roleList");
  through(S.roleGrantPermission, "roleGrantPermission");
  through(S.roleRevokePermission, "roleRevokePermission");
  through(S.roleDelete, "roleDelete");

  grpc.addUnary(S.authenticate, (request) =>
    authenticate(
      server.auth,
      () => server.linearizableReadNotify(),
      async (proposal) => (await server.propose("authenticate", pb.AuthenticateRequest.create(proposal))) as pb.AuthenticateResponse,
      request,
    ),
  );

  grpc.addUnary(S.userAdd, async (request, call) => {
    const authInfo = await server.authInfo(call.metadata);
    const hashed = request.password !== "" && !request.options?.noPassword ? await server.auth.hashPassword(request.password) : request.hashedPassword;
    const proposal = { ...request, password: "", hashedPassword: hashed };
    return (await server.propose("userAdd", proposal, authInfo)) as pb.AuthUserAddResponse;
  });

  grpc.addUnary(S.userChangePassword, async (request, call) => {
    const authInfo = await server.authInfo(call.metadata);
    const hashed = request.password !== "" ? await server.auth.hashPassword(request.password) : request.hashedPassword;
    const proposal = { ...request, password: "", hashedPassword: hashed };
    return (await server.propose("userChangePassword", proposal, authInfo)) as pb.AuthUserChangePasswordResponse;
  });

  // etcd 3.5: served from the member's own view, without raft.
  grpc.addUnary(S.authStatus, async () => {
    const status = server.auth.authStatus();
    return { ...status, header: server.header(server.watchable.revision) };
  });
}
