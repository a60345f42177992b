/**
 * @etcd-ts/client/naming — service registration and discovery on etcd, in the key/value
 * format of etcd's Go `naming/endpoints` package (Go services and ours see each other), with
 * a @grpc/grpc-js resolver for `etcd:///<service>` targets.
 *
 * ```ts
 * const registration = await Registration.register(client, "services/greeter", { addr: "10.0.0.7:50051" });
 * const discovery = await Discovery.start(client, "services/greeter");
 * discovery.onChange(() => console.log(discovery.addresses()));
 * ```
 *
 * @packageDocumentation
 */
export { EndpointManager, decodeEndpoint, encodeEndpoint } from "./EndpointManager.js";
export type { Endpoint, EndpointUpdate } from "./EndpointManager.js";
export { Registration } from "./Registration.js";
export type { RegisterOptions } from "./Registration.js";
export { Discovery } from "./Discovery.js";
export { registerEtcdResolver } from "./Resolver.js";
