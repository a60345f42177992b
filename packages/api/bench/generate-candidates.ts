/**
 * Generates the ts-proto candidates of the codec benchmark into bench/.candidates/ (gitignored).
 *
 * Runs `buf generate` from the @bufbuild/buf npm package (which ships the buf binary) with
 * ts-proto as a `local` plugin, so nothing is fetched from the network and no protoc is
 * needed. Two variants:
 * - ts-proto: `forceLong=bigint,useJsTypeOverride=true`: bigint, except number where the
 *   .proto says `[jstype = JS_NUMBER]`; the same types as our generated code.
 * - ts-proto-number: `forceLong=number`: every 64-bit field a JS number, which cannot hold
 *   etcd's 63-bit lease / member / cluster IDs exactly.
 *
 * usage: tsx bench/generate-candidates.ts   (the benchmark calls it itself on every run)
 */
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** PKG_ROOT is packages/api. */
export const PKG_ROOT = join(import.meta.dirname, "..");
/** CANDIDATES_DIR is where generated candidate code goes (gitignored). */
export const CANDIDATES_DIR = join(import.meta.dirname, ".candidates");

/** The ts-proto variants generated, by output folder name. */
export const TS_PROTO_VARIANTS = {
  "ts-proto": ["forceLong=bigint", "useJsTypeOverride=true"],
  "ts-proto-number": ["forceLong=number"],
} as const;
/** TsProtoVariant names one folder of {@link TS_PROTO_VARIANTS}. */
export type TsProtoVariant = keyof typeof TS_PROTO_VARIANTS;

/** Options common to both variants: ESM imports with .js suffixes, codecs only. */
const COMMON_OPTS = ["esModuleInterop=true", "importSuffix=.js", "outputServices=false", "outputJsonMethods=false", "outputPartialMethods=false"];

/**
 * generateTsProto (re)generates every ts-proto variant from proto/ and returns the path of
 * each variant's etcdserverpb module.
 */
export function generateTsProto(): Record<TsProtoVariant, string> {
  const buf = join(PKG_ROOT, "node_modules", ".bin", "buf");
  const plugin = join(PKG_ROOT, "node_modules", ".bin", "protoc-gen-ts_proto");
  for (const tool of [buf, plugin]) {
    if (!existsSync(tool)) throw new Error(`${tool} is missing: run pnpm install`);
  }
  rmSync(CANDIDATES_DIR, { recursive: true, force: true });
  const template = {
    version: "v2",
    plugins: Object.entries(TS_PROTO_VARIANTS).map(([dir, opts]) => ({
      local: plugin,
      out: join(CANDIDATES_DIR, dir),
      opt: [...opts, ...COMMON_OPTS],
    })),
  };
  execFileSync(buf, ["generate", join(PKG_ROOT, "proto"), "--template", JSON.stringify(template)], {
    cwd: PKG_ROOT,
    stdio: ["ignore", "inherit", "inherit"],
  });
  const out = {} as Record<TsProtoVariant, string>;
  for (const dir of Object.keys(TS_PROTO_VARIANTS) as TsProtoVariant[]) {
    out[dir] = join(CANDIDATES_DIR, dir, "etcdserverpb", "rpc.ts");
    if (!existsSync(out[dir])) throw new Error(`buf generate wrote no ${out[dir]}`);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const paths = generateTsProto();
  for (const path of Object.values(paths)) console.log(`wrote ${path}`);
}
