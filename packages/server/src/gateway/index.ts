/**
 * The JSON gateway: etcd's `/v3/...` HTTP/1.1 + JSON API over the member's gRPC handlers.
 */
export { CORS_HEADERS, cleanPath, gatewayHandler, gatewayRoutes, isGatewayPath } from "./Gateway.js";
export type { GatewayHandler, GatewayOptions } from "./Gateway.js";
export { httpStatusFromCode } from "./httpStatus.js";
export { JsonMappingError, messageFromJson, messageToJson } from "./JsonMapping.js";
