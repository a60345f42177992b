/**
 * Generates src/gateway/schema.generated.ts — the JSON gateway's field tables and route
 * table — from @etcd-ts/api's .proto files. The gateway needs what the generated codecs do
 * not carry at run time: each field's proto name, JSON name, type and declaration order,
 * enum value names, and the `// HTTP: POST /v3/...` route written above every rpc.
 *
 * A small parser for the proto3 subset those files use (messages, nested enums and
 * messages, oneofs, `repeated`, `[jstype = JS_NUMBER]`); anything else throws naming the line.
 * Routes of rpcs marked "etcd 3.5" are left out: the gateway serves etcd 3.4's table.
 *
 * Regenerate: GATEWAY_SCHEMA_UPDATE=1 node --import tsx --test test/gateway-schema.test.ts
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

interface ParsedField {
  name: string;
  type: string;
  repeated: boolean;
  jsNumber: boolean;
  oneof: string | undefined;
  scope: string;
}
interface ParsedMessage {
  fullName: string;
  fields: ParsedField[];
}
interface ParsedEnum {
  fullName: string;
  goName: string;
  values: [string, number][];
}
interface ParsedRoute {
  http: string[];
  grpcPath: string;
  request: string;
  response: string;
  clientStream: boolean;
  serverStream: boolean;
  scope: string;
  etcd35: boolean;
}

const SCALARS = new Set(["double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes"]);

function camel(name: string): string {
  return name.replace(/_([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function protoFiles(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return protoFiles(root, path);
    return entry.name.endsWith(".proto") ? [relative(root, path)] : [];
  });
}

function parseFile(text: string, file: string, messages: ParsedMessage[], enums: ParsedEnum[], routes: ParsedRoute[]): void {
  let pkg = "";
  const stack: { kind: "message" | "enum" | "oneof" | "service"; name: string; target?: ParsedMessage | ParsedEnum }[] = [];
  let comments: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed.startsWith("//")) {
      comments.push(trimmed.slice(2).trim());
      continue;
    }
    const line = trimmed.replace(/\/\/.*$/, "").trim();
    if (line === "") {
      comments = [];
      continue;
    }
    const where = `${file}:${i + 1}`;
    const scopeName = (): string => [pkg, ...stack.filter((s) => s.kind === "message").map((s) => s.name)].join(".");
    let match: RegExpExecArray | null;
    if (/^(syntax\s*=|import\s)/.test(line)) {
      // nothing to record
    } else if ((match = /^package\s+([\w.]+)\s*;$/.exec(line))) {
      pkg = match[1]!;
    } else if ((match = /^message\s+(\w+)\s*\{\s*(\})?$/.exec(line))) {
      const name = match[1]!;
      const message: ParsedMessage = { fullName: `${scopeName()}.${name}`, fields: [] };
      messages.push(message);
      if (!match[2]) stack.push({ kind: "message", name, target: message });
    } else if ((match = /^enum\s+(\w+)\s*\{$/.exec(line))) {
      const name = match[1]!;
      const outer = stack.filter((s) => s.kind === "message").map((s) => s.name);
      const parsed: ParsedEnum = { fullName: `${scopeName()}.${name}`, goName: `${pkg}.${[...outer, name].join("_")}`, values: [] };
      enums.push(parsed);
      stack.push({ kind: "enum", name, target: parsed });
    } else if ((match = /^oneof\s+(\w+)\s*\{$/.exec(line))) {
      stack.push({ kind: "oneof", name: match[1]! });
    } else if ((match = /^service\s+(\w+)\s*\{$/.exec(line))) {
      stack.push({ kind: "service", name: match[1]! });
    } else if ((match = /^rpc\s+(\w+)\s*\(\s*(stream\s+)?([\w.]+)\s*\)\s*returns\s*\(\s*(stream\s+)?([\w.]+)\s*\)\s*(\{\s*\}|;)$/.exec(line))) {
      const service = stack[stack.length - 1];
      if (service?.kind !== "service") throw new Error(`${where}: rpc outside a service`);
      const httpComment = comments.find((c) => c.startsWith("HTTP:"));
      // An rpc without an HTTP line (grpc.health.v1) has no gateway route.
      if (!httpComment) {
        comments = [];
        continue;
      }
      const http = [...httpComment.matchAll(/(?:HTTP: |also )POST (\/v3\/[\w/-]+)/g)].map((m) => m[1]!);
      routes.push({
        http,
        grpcPath: `/${pkg}.${service.name}/${match[1]!}`,
        request: match[3]!,
        response: match[5]!,
        clientStream: match[2] !== undefined,
        serverStream: match[4] !== undefined,
        scope: pkg,
        etcd35: comments.some((c) => c === "etcd 3.5"),
      });
    } else if ((match = /^(\w+)\s*=\s*(-?\d+)\s*;$/.exec(line)) && stack[stack.length - 1]?.kind === "enum") {
      (stack[stack.length - 1]!.target as ParsedEnum).values.push([match[1]!, Number(match[2])]);
    } else if ((match = /^(repeated\s+)?([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*(\[[^\]]*\])?\s*;$/.exec(line))) {
      const oneof = stack[stack.length - 1]?.kind === "oneof" ? stack[stack.length - 1]!.name : undefined;
      const owner = [...stack].reverse().find((s) => s.kind === "message");
      if (!owner) throw new Error(`${where}: field outside a message`);
      const options = match[5] ?? "";
      if (options !== "" && !/^\[\s*jstype\s*=\s*JS_NUMBER\s*\]$/.test(options)) throw new Error(`${where}: unsupported field options ${options}`);
      (owner.target as ParsedMessage).fields.push({
        name: match[3]!,
        type: match[2]!,
        repeated: match[1] !== undefined,
        jsNumber: options !== "",
        oneof,
        scope: scopeName(),
      });
    } else if (line === "}") {
      if (!stack.pop()) throw new Error(`${where}: unbalanced }`);
    } else throw new Error(`${where}: cannot parse: ${line}`);
    comments = [];
  }
}

/** Resolves a type reference as protobuf scoping does: innermost scope outwards. */
function resolve(type: string, scope: string, known: Set<string>): string {
  const parts = scope.split(".");
  for (let n = parts.length; n >= 0; n--) {
    const candidate = [...parts.slice(0, n), type].join(".");
    if (known.has(candidate)) return candidate;
  }
  throw new Error(`unknown type ${type} in ${scope}`);
}

/** generateGatewaySchema returns the text of src/gateway/schema.generated.ts. */
export function generateGatewaySchema(protoRoot: string): string {
  const messages: ParsedMessage[] = [];
  const enums: ParsedEnum[] = [];
  const routes: ParsedRoute[] = [];
  for (const file of protoFiles(protoRoot).sort()) parseFile(readFileSync(join(protoRoot, file), "utf8"), file, messages, enums, routes);
  const messageNames = new Set(messages.map((m) => m.fullName));
  const enumNames = new Set(enums.map((e) => e.fullName));
  const known = new Set([...messageNames, ...enumNames]);

  const out: string[] = [
    "// Generated by packages/server/test/support/gatewaySchema.ts from @etcd-ts/api's proto/. Do not edit.",
    "// Regenerate: GATEWAY_SCHEMA_UPDATE=1 node --import tsx --test test/gateway-schema.test.ts",
    'import type { EnumSchema, FieldSchema, RouteSchema } from "./schema.js";',
    "",
    "/** MESSAGES: every message's fields in declaration order (the order etcd's JSON lists them). */",
    "export const MESSAGES: Readonly<Record<string, readonly FieldSchema[]>> = {",
  ];
  for (const message of [...messages].sort((a, b) => a.fullName.localeCompare(b.fullName))) {
    out.push(`  "${message.fullName}": [`);
    for (const field of message.fields) {
      const parts = [`name: "${field.name}"`, `json: "${camel(field.name)}"`];
      if (SCALARS.has(field.type)) {
        parts.push(`type: "${field.type}"`);
        if ((field.type.endsWith("64")) && !field.jsNumber) parts.push("bigint: true");
      } else {
        const ref = resolve(field.type, field.scope, known);
        parts.push(`type: "${enumNames.has(ref) ? "enum" : "message"}"`, `ref: "${ref}"`);
      }
      if (field.repeated) parts.push("repeated: true");
      if (field.oneof !== undefined) parts.push(`oneof: "${camel(field.oneof)}"`);
      out.push(`    { ${parts.join(", ")} },`);
    }
    out.push("  ],");
  }
  out.push("};", "", "/** ENUMS: value names by number, and the Go type name etcd's errors print. */", "export const ENUMS: Readonly<Record<string, EnumSchema>> = {");
  for (const e of [...enums].sort((a, b) => a.fullName.localeCompare(b.fullName))) {
    out.push(`  "${e.fullName}": { goName: "${e.goName}", values: [${e.values.map(([n, v]) => `["${n}", ${v}]`).join(", ")}] },`);
  }
  out.push(
    "};",
    "",
    "/**",
    " * ROUTES: etcd 3.4's gateway routes in declaration order (rpcs marked etcd 3.5 left out).",
    " * A path may appear twice (3.4 declares HashKV at Hash's path): see Gateway's route table.",
    " */",
    "export const ROUTES: readonly RouteSchema[] = [",
  );
  for (const route of routes) {
    if (route.etcd35) continue;
    const request = resolve(route.request, route.scope, messageNames);
    const response = resolve(route.response, route.scope, messageNames);
    for (const http of route.http) {
      out.push(
        `  { http: "${http}", grpc: "${route.grpcPath}", request: "${request}", response: "${response}", clientStream: ${route.clientStream}, serverStream: ${route.serverStream} },`,
      );
    }
  }
  out.push("];", "");
  return out.join("\n");
}
