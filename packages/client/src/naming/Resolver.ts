/**
 * A @grpc/grpc-js name resolver for `etcd:///<service>` targets: it follows the service's
 * endpoint set with a {@link Discovery} and hands every change to grpc-js, whose load
 * balancing policy (pick_first by default; configure `round_robin` through the service
 * config) spreads calls over the live instances.
 *
 * grpc-js keeps resolvers in a registry of its own module instance: the application must use
 * the same `@grpc/grpc-js` installation as this package (a single copy in node_modules).
 */
import * as grpc from "@grpc/grpc-js";
import type { Client } from "../Client.js";
import { Discovery } from "./Discovery.js";

type GrpcUri = grpc.experimental.GrpcUri;
type ResolverListener = grpc.experimental.ResolverListener;

const clients = new Map<string, Client>();

/** parseAddress turns `host:port` (or `[v6]:port`) into a grpc-js subchannel address. */
function parseAddress(addr: string): { host: string; port: number } | undefined {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(addr);
  if (match === null) return undefined;
  return { host: match[1]!, port: Number(match[2]) };
}

/** The resolver class grpc-js instantiates per channel (its static side included). */
type ResolverClass = Parameters<typeof grpc.experimental.registerResolver>[1];

function resolverClass(scheme: string): ResolverClass {
  return class EtcdResolver implements grpc.experimental.Resolver {
    private discovery: Discovery | undefined;
    private starting: Promise<void> | undefined;
    private destroyed = false;
    private readonly service: string;

    constructor(
      target: GrpcUri,
      private readonly listener: ResolverListener,
    ) {
      this.service = target.path.replace(/^\/+/, "");
    }

    /** The HTTP/2 :authority: the service name made a valid host name (no slashes). */
    static getDefaultAuthority(target: GrpcUri): string {
      return target.path.replace(/^\/+/, "").replace(/[^A-Za-z0-9.-]+/g, "-") || "etcd";
    }

    private report(): void {
      if (this.destroyed || this.discovery === undefined) return;
      const endpoints: grpc.experimental.Endpoint[] = [];
      for (const e of this.discovery.endpoints.values()) {
        const address = parseAddress(e.addr);
        if (address !== undefined) endpoints.push({ addresses: [address] });
      }
      this.listener(grpc.experimental.statusOrFromValue(endpoints), {}, null, `etcd resolver: ${endpoints.length} endpoints of ${this.service}`);
    }

    updateResolution(): void {
      if (this.destroyed) this.destroyed = false;
      if (this.discovery !== undefined) {
        setImmediate(() => this.report());
        return;
      }
      if (this.starting !== undefined) return;
      const client = clients.get(scheme);
      if (client === undefined) {
        setImmediate(() =>
          this.listener(grpc.experimental.statusOrFromError({ code: grpc.status.UNAVAILABLE, details: `no etcd client registered for ${scheme}:`, metadata: new grpc.Metadata() }), {}, null, ""),
        );
        return;
      }
      this.starting = Discovery.start(client, this.service).then(
        (discovery) => {
          this.starting = undefined;
          if (this.destroyed) {
            void discovery.close();
            return;
          }
          this.discovery = discovery;
          discovery.onChange(() => this.report());
          this.report();
        },
        (err: unknown) => {
          this.starting = undefined;
          if (this.destroyed) return;
          this.listener(
            grpc.experimental.statusOrFromError({ code: grpc.status.UNAVAILABLE, details: `etcd resolver: ${String(err)}`, metadata: new grpc.Metadata() }),
            {},
            null,
            "",
          );
        },
      );
    }

    destroy(): void {
      this.destroyed = true;
      const discovery = this.discovery;
      this.discovery = undefined;
      void discovery?.close();
    }
  };
}

/**
 * registerEtcdResolver makes grpc-js resolve `<scheme>:///<service>` (default scheme `etcd`)
 * through `client`: `new grpc.Client("etcd:///services/greeter", creds)`. Registering again
 * for a scheme replaces the client used by channels created afterwards.
 */
export function registerEtcdResolver(client: Client, scheme = "etcd"): void {
  clients.set(scheme, client);
  grpc.experimental.registerResolver(scheme, resolverClass(scheme));
}
