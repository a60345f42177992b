/**
 * version: the text of `etcd --version`, in etcd's `Key: value` line format.
 *
 * The first line is etcd's (`etcd Version: 3.4.23`, the etcd release whose API we
 * implement), so scripts that read it keep working; the rest describe etcd-ts and its
 * runtime in place of etcd's Git SHA and Go lines.
 */
import { API_VERSION, ETCD_TS_VERSION, SERVER_VERSION } from "@etcd-ts/api";

/** RuntimeInfo is what the version text says about the running process. */
export interface RuntimeInfo {
  readonly nodeVersion: string;
  readonly platform: string;
  readonly arch: string;
}

/** versionText returns the `--version` output, ending with a newline. */
export function versionText(runtime: RuntimeInfo): string {
  return [
    `etcd Version: ${SERVER_VERSION}`,
    `API Version: ${API_VERSION}`,
    `etcd-ts Version: ${ETCD_TS_VERSION}`,
    `Node Version: ${runtime.nodeVersion}`,
    `OS/Arch: ${runtime.platform}/${runtime.arch}`,
    "",
  ].join("\n");
}
