/**
 * The HTTP/1.1 side of the client port: `/health`, `/version` and `/metrics` as etcd serves
 * them, CORS headers on every answer (OPTIONS: an empty 200), anything else 404; the JSON
 * gateway's paths (`/v3/...`, `/v3beta/...`) go to the gateway handler (`gateway/`), except
 * under auth with a CN-bearing client certificate, which etcd refuses with 400.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CLUSTER_VERSION, SERVER_VERSION } from "@etcd-ts/api";
import type { EtcdServer } from "../etcdserver/EtcdServer.js";
import { CORS_HEADERS, isGatewayPath, type GatewayHandler } from "../gateway/index.js";
import { boundCommonName } from "../tls/commonName.js";

/** httpHandler serves etcd's HTTP endpoints for one member, and the JSON gateway under /v3/. */
export function httpHandler(server: EtcdServer, gateway?: GatewayHandler): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    if (gateway && isGatewayPath(path)) {
      // etcd refuses gateway calls made with a CN-bearing client certificate under
      // --client-cert-auth and auth: the CN would not be used as the user, so it says so.
      if ((path.startsWith("/v3/") || path.startsWith("/v3beta/")) && boundCommonName(request.socket) !== undefined && server.auth.isAuthEnabled()) {
        response.writeHead(400, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" });
        response.end("CommonName of client sending a request against gateway will be ignored and not used as expected\n");
        return;
      }
      gateway(request, response);
      return;
    }
    // etcd answers every client-port response with CORS headers, and OPTIONS with an empty 200.
    for (const [name, value] of Object.entries(CORS_HEADERS)) response.setHeader(name, value);
    if (request.method === "OPTIONS") {
      response.writeHead(200);
      response.end();
      return;
    }
    switch (path) {
      case "/health":
        void health(server, request, response);
        return;
      case "/version":
        json(response, 200, JSON.stringify({ etcdserver: SERVER_VERSION, etcdcluster: CLUSTER_VERSION }));
        return;
      case "/metrics":
        void metrics(server, response);
        return;
      default:
        response.writeHead(404, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" });
        response.end("404 page not found\n");
    }
  };
}

function json(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { "content-type": status === 200 ? "application/json" : "text/plain; charset=utf-8" });
  response.end(body);
}

/** etcd's health: no alarms (except those excluded), a leader, and a quorum read within 1 s. */
async function health(server: EtcdServer, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== "GET") {
    response.writeHead(405, { allow: "GET", "content-type": "text/plain; charset=utf-8" });
    response.end("Method Not Allowed\n");
    return;
  }
  const excluded = new Set(new URL(request.url ?? "/", "http://x").searchParams.getAll("exclude"));
  let healthy = server.alarmList().every((alarm) => excluded.has(alarmName(alarm.alarm)));
  if (healthy && server.leaderId === 0n) healthy = false;
  if (healthy) {
    healthy = await Promise.race([
      server.linearizableReadNotify().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref()),
    ]);
  }
  (healthy ? server.metrics.healthSuccess : server.metrics.healthFailures).inc();
  const body = JSON.stringify({ health: String(healthy) });
  if (healthy) json(response, 200, body);
  else json(response, 503, `${body}\n`);
}

function alarmName(alarm: number): string {
  return ["NONE", "NOSPACE", "CORRUPT"][alarm] ?? String(alarm);
}

/** etcd's metrics, Prometheus text format (the sizes are read from the engine per scrape). */
async function metrics(server: EtcdServer, response: ServerResponse): Promise<void> {
  await server.refreshStatus().catch(() => undefined);
  response.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  response.end(server.metrics.registry.render());
}
