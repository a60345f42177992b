/**
 * grpc.health.v1: SERVING while the member serves (etcd registers the standard health service).
 */
import { health } from "@etcd-ts/api";
import type { GrpcServer } from "../grpc/GrpcServer.js";

/** registerHealth adds the gRPC health service. */
export function registerHealth(grpc: GrpcServer): void {
  grpc.addUnary(health.HealthService.check, () => ({ status: health.HealthCheckResponse_ServingStatus.SERVING }));
}
