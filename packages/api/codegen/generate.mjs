#!/usr/bin/env node
// Generates TypeScript types and codecs from packages/api/proto into src/generated/.
//
// protobufjs parses the .proto files into a reflection tree; this script walks it and emits,
// per protobuf package, one module with: an interface + codec object per message, a const
// object + union type per enum, and a service definition (grpc-js compatible) per service.
// Field representation: proto names in lowerCamelCase; 64-bit integers are `bigint` unless the
// field says `[jstype = JS_NUMBER]`; `bytes` are Uint8Array views; message fields are optional;
// a oneof is a `{ $case, <member> }` union. Only the proto3 features etcd's API uses are
// supported: anything else stops generation with an error naming the field.
//
// usage: node codegen/generate.mjs [--check]   (--check: fail if src/generated is stale)
import { readFileSync, writeFileSync, mkdirSync, readdirSync, existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

const here = dirname(fileURLToPath(import.meta.url));
const pkgRoot = join(here, "..");
const protoRoot = join(pkgRoot, "proto");
const outDir = join(pkgRoot, "src", "generated");

/** Lists every .proto file under the proto root, relative to it. */
function protoFiles(dir = protoRoot) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return protoFiles(path);
    return entry.name.endsWith(".proto") ? [relative(protoRoot, path)] : [];
  });
}

/** Loads all protos, resolving imports against the proto root. */
function loadRoot() {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith("/") ? target : join(protoRoot, target));
  root.loadSync(protoFiles().sort(), { keepCase: true, alternateCommentMode: true });
  root.resolveAll();
  return root;
}

const SCALARS = {
  double: { ts: "number", wire: 1, write: "double", read: "double", zero: "0", isZero: (v) => `${v} !== 0` },
  float: { ts: "number", wire: 5, write: "float", read: "float", zero: "0", isZero: (v) => `${v} !== 0` },
  int32: { ts: "number", wire: 0, write: "int32", read: "int32", zero: "0", isZero: (v) => `${v} !== 0` },
  uint32: { ts: "number", wire: 0, write: "uint32", read: "uint32", zero: "0", isZero: (v) => `${v} !== 0` },
  fixed32: { ts: "number", wire: 5, write: "fixed32", read: "fixed32", zero: "0", isZero: (v) => `${v} !== 0` },
  bool: { ts: "boolean", wire: 0, write: "bool", read: "bool", zero: "false", isZero: (v) => `${v} === true` },
  string: { ts: "string", wire: 2, write: "string", read: "string", zero: '""', isZero: (v) => `${v} !== ""` },
  bytes: { ts: "Uint8Array", wire: 2, write: "bytes", read: "bytes", zero: "EMPTY_BYTES", isZero: (v) => `${v}.length !== 0` },
};
const LONGS = {
  int64: { number: "int64Number", bigint: "int64Bigint", readNumber: "int64Number", readBigint: "int64Bigint" },
  uint64: { number: "uint64Number", bigint: "int64Bigint", readNumber: "uint64Number", readBigint: "uint64Bigint" },
};

/** lowerCamelCase of a proto field name, as protobuf's JSON names do. */
function camel(name) {
  return name.replace(/_([a-zA-Z0-9])/g, (_m, c) => c.toUpperCase());
}
/**
 * The Go name gogo/protobuf gives a field (golang/protobuf's CamelCase): etcd's decode errors
 * name fields by it ("proto: wrong wireType = 0 for field RangeEnd").
 */
function goName(name) {
  let out = "";
  let i = 0;
  if (name[0] === "_") {
    out += "X";
    i++;
  }
  const lower = (c) => c >= "a" && c <= "z";
  for (; i < name.length; i++) {
    let c = name[i];
    if (c === "_" && i + 1 < name.length && lower(name[i + 1])) continue;
    if (c >= "0" && c <= "9") {
      out += c;
      continue;
    }
    if (lower(c)) c = c.toUpperCase();
    out += c;
    while (i + 1 < name.length && lower(name[i + 1])) out += name[++i];
  }
  return out;
}
/** lowerCamelCase of a method name: grpc-js's key for it. */
function lowerFirst(name) {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** The TypeScript name of a message or enum: nested names joined by `_`. */
function tsName(type, pkg) {
  return type.fullName.slice(pkg.length + 2).replace(/\./g, "_");
}
function packageOf(type) {
  let ns = type.parent;
  const names = [];
  while (ns && !(ns instanceof protobuf.Root)) {
    if (!(ns instanceof protobuf.Type)) names.unshift(ns.name);
    ns = ns.parent;
  }
  return names.join(".");
}

/** Describes how one field is typed, written and read. */
function fieldInfo(field, pkg, imports) {
  const name = camel(field.name);
  const resolved = field.resolvedType;
  if (field.map) throw new Error(`${field.fullName}: map fields are not supported`);
  if (resolved instanceof protobuf.Enum) {
    return { name, kind: "enum", ts: ref(resolved, pkg, imports), wire: 0, zero: "0", write: "int32", read: "int32" };
  }
  if (resolved instanceof protobuf.Type) {
    return { name, kind: "message", ts: ref(resolved, pkg, imports), wire: 2 };
  }
  if (LONGS[field.type]) {
    const jstype = field.options?.jstype;
    if (jstype !== undefined && jstype !== "JS_NUMBER" && jstype !== "JS_NORMAL") {
      throw new Error(`${field.fullName}: jstype ${jstype} is not supported`);
    }
    const asNumber = jstype === "JS_NUMBER";
    const l = LONGS[field.type];
    return asNumber
      ? { name, kind: "scalar", ts: "number", wire: 0, zero: "0", write: l.number, read: l.readNumber, isZero: (v) => `${v} !== 0` }
      : { name, kind: "scalar", ts: "bigint", wire: 0, zero: "0n", write: l.bigint, read: l.readBigint, isZero: (v) => `${v} !== 0n` };
  }
  const scalar = SCALARS[field.type];
  if (!scalar) throw new Error(`${field.fullName}: type ${field.type} is not supported`);
  return { name, kind: "scalar", ...scalar };
}

/** A reference to a type, recording a cross-package import when needed. */
function ref(type, pkg, imports) {
  const typePkg = packageOf(type);
  const name = tsName(type, typePkg);
  if (typePkg !== pkg) {
    const set = imports.get(typePkg) ?? new Set();
    set.add(name);
    imports.set(typePkg, set);
  }
  return name;
}

function isPackable(info) {
  return info.kind === "enum" || (info.kind === "scalar" && info.wire !== 2);
}

function generateEnum(e, pkg, out) {
  const name = tsName(e, pkg);
  out.push(`/** ${name} is the protobuf enum \`${e.fullName.slice(1)}\`. */`);
  out.push(`export const ${name} = {`);
  for (const [key, value] of Object.entries(e.values)) out.push(`  ${key}: ${value},`);
  out.push(`} as const;`);
  out.push(`/** ${name} is one of the values of the enum of the same name. */`);
  out.push(`export type ${name} = (typeof ${name})[keyof typeof ${name}];`);
  out.push("");
}

/** reaches says whether message `from` can contain a `target` at any depth. */
function reaches(from, target, seen = new Set()) {
  for (const field of from.fieldsArray) {
    const next = field.resolvedType;
    if (!(next instanceof protobuf.Type)) continue;
    if (next === target) return true;
    if (seen.has(next)) continue;
    seen.add(next);
    if (reaches(next, target, seen)) return true;
  }
  return false;
}

function generateMessage(type, pkg, imports, out) {
  const name = tsName(type, pkg);
  const oneofs = type.oneofsArray.filter((o) => !(o.fieldsArray.length === 1 && o.fieldsArray[0].options?.proto3_optional));
  const oneofOf = new Map();
  for (const o of oneofs) for (const f of o.fieldsArray) oneofOf.set(f, o);
  const fields = type.fieldsArray.slice().sort((a, b) => a.id - b.id).map((f) => ({ field: f, info: fieldInfo(f, pkg, imports), oneof: oneofOf.get(f) }));
  for (const { field } of fields) if (field.options?.proto3_optional) throw new Error(`${field.fullName}: proto3 optional is not supported`);

  // The interface.
  out.push(`/** ${name} is the protobuf message \`${type.fullName.slice(1)}\`. */`);
  out.push(`export interface ${name} {`);
  const seenOneofs = new Set();
  for (const { field, info, oneof } of fields) {
    if (oneof) {
      if (seenOneofs.has(oneof)) continue;
      seenOneofs.add(oneof);
      const cases = fields.filter((f) => f.oneof === oneof).map((f) => `{ $case: "${f.info.name}"; ${f.info.name}: ${f.info.ts} }`);
      out.push(`  /** oneof \`${oneof.name}\`. */`);
      out.push(`  ${camel(oneof.name)}?: ${cases.join(" | ")} | undefined;`);
      continue;
    }
    const doc = `  /** ${field.name} = ${field.id} */`;
    out.push(doc);
    if (field.repeated) out.push(`  ${info.name}: ${info.ts}[];`);
    else if (info.kind === "message") out.push(`  ${info.name}?: ${info.ts} | undefined;`);
    else out.push(`  ${info.name}: ${info.ts};`);
  }
  out.push(`}`);
  out.push("");

  // create
  const createLines = [];
  seenOneofs.clear();
  for (const { field, info, oneof } of fields) {
    if (oneof) {
      if (seenOneofs.has(oneof)) continue;
      seenOneofs.add(oneof);
      const key = camel(oneof.name);
      const members = fields.filter((f) => f.oneof === oneof);
      const arms = members.map((f) => {
        const v = f.info.kind === "message" ? `${f.info.ts}.create(c.${f.info.name})` : `c.${f.info.name} ?? ${f.info.zero}`;
        return `c.$case === "${f.info.name}" ? { $case: "${f.info.name}", ${f.info.name}: ${v} }`;
      });
      createLines.push(`    ${key}: ((c) => c === undefined ? undefined : ${arms.join(" : ")} : undefined)(init?.${key}),`);
      continue;
    }
    if (field.repeated) {
      createLines.push(info.kind === "message"
        ? `    ${info.name}: init?.${info.name}?.map((m) => ${info.ts}.create(m)) ?? [],`
        : `    ${info.name}: init?.${info.name}?.slice() as ${info.ts}[] ?? [],`);
    } else if (info.kind === "message") {
      createLines.push(`    ${info.name}: init?.${info.name} === undefined ? undefined : ${info.ts}.create(init.${info.name}),`);
    } else {
      createLines.push(`    ${info.name}: init?.${info.name} ?? ${info.zero},`);
    }
  }

  // encodeTo
  const encLines = [];
  seenOneofs.clear();
  for (const { field, info, oneof } of fields) {
    const tag = (field.id << 3) | info.wire;
    if (oneof) {
      if (seenOneofs.has(oneof)) continue;
      seenOneofs.add(oneof);
      const key = camel(oneof.name);
      encLines.push(`  const ${key} = m.${key};`);
      encLines.push(`  if (${key} !== undefined) {`);
      encLines.push(`    switch (${key}.$case) {`);
      for (const f of fields.filter((x) => x.oneof === oneof)) {
        const t = (f.field.id << 3) | f.info.wire;
        encLines.push(`      case "${f.info.name}":`);
        encLines.push(`        w.uint32(${t});`);
        if (f.info.kind === "message") {
          encLines.push(`        { const mark = w.fork(); ${f.info.ts}.encodeTo(${key}.${f.info.name} ?? {}, w); w.join(mark); }`);
        } else {
          encLines.push(`        w.${f.info.write}(${key}.${f.info.name} ?? ${f.info.zero});`);
        }
        encLines.push(`        break;`);
      }
      encLines.push(`    }`);
      encLines.push(`  }`);
      continue;
    }
    const v = `m.${info.name}`;
    if (field.repeated) {
      if (isPackable(info)) {
        encLines.push(`  if (${v} !== undefined && ${v}.length > 0) {`);
        encLines.push(`    w.uint32(${(field.id << 3) | 2}); const mark = w.fork();`);
        encLines.push(`    for (const x of ${v}) w.${info.write}(x);`);
        encLines.push(`    w.join(mark);`);
        encLines.push(`  }`);
      } else if (info.kind === "message") {
        encLines.push(`  if (${v} !== undefined) for (const x of ${v}) { w.uint32(${tag}); const mark = w.fork(); ${info.ts}.encodeTo(x, w); w.join(mark); }`);
      } else {
        encLines.push(`  if (${v} !== undefined) for (const x of ${v}) { w.uint32(${tag}); w.${info.write}(x); }`);
      }
    } else if (info.kind === "message") {
      encLines.push(`  if (${v} !== undefined) { w.uint32(${tag}); const mark = w.fork(); ${info.ts}.encodeTo(${v}, w); w.join(mark); }`);
    } else {
      const nonZero = info.kind === "enum" ? `${v} !== 0` : info.isZero(v);
      encLines.push(`  if (${v} !== undefined && ${nonZero}) { w.uint32(${tag}); w.${info.write}(${v}); }`);
    }
  }

  // decodeFrom
  const decInit = [];
  const decCases = [];
  const wrong = (field) => `throw ProtoReader.wrongType("${goName(field.name)}", wire, "${name}")`;
  seenOneofs.clear();
  for (const { field, info, oneof } of fields) {
    if (oneof) {
      if (!seenOneofs.has(oneof)) {
        seenOneofs.add(oneof);
        decInit.push(`    ${camel(oneof.name)}: undefined,`);
      }
    } else if (field.repeated) decInit.push(`    ${info.name}: [],`);
    else if (info.kind === "message") decInit.push(`    ${info.name}: undefined,`);
    else decInit.push(`    ${info.name}: ${info.zero},`);

    const target = oneof ? null : `m.${info.name}`;
    decCases.push(`      case ${field.id}:`);
    if (info.kind === "message") {
      decCases.push(`        if (wire !== 2) ${wrong(field)};`);
      if (oneof) {
        // gogo decodes a oneof's message afresh each time it appears (no merge).
        const key = camel(oneof.name);
        decCases.push(`        { const end2 = r.sub(end); m.${key} = { $case: "${info.name}", ${info.name}: ${info.ts}.decodeFrom(r, end2) }; }`);
      } else if (field.repeated) {
        decCases.push(`        { const end2 = r.sub(end); ${target}.push(${info.ts}.decodeFrom(r, end2)); }`);
      } else {
        decCases.push(`        { const end2 = r.sub(end); ${target} = ${target} === undefined ? ${info.ts}.decodeFrom(r, end2) : ${info.ts}.mergeFrom(${target}, r, end2); }`);
      }
    } else if (field.repeated && isPackable(info)) {
      decCases.push(`        if (wire === 2) { const end2 = r.sub(end); while (r.pos < end2) ${target}.push(r.${info.read}(end)${info.kind === "enum" ? ` as ${info.ts}` : ""}); }`);
      decCases.push(`        else if (wire === ${info.wire}) ${target}.push(r.${info.read}(end)${info.kind === "enum" ? ` as ${info.ts}` : ""});`);
      decCases.push(`        else ${wrong(field)};`);
    } else {
      decCases.push(`        if (wire !== ${info.wire}) ${wrong(field)};`);
      const read = `r.${info.read}(end)${info.kind === "enum" ? ` as ${info.ts}` : ""}`;
      if (oneof) decCases.push(`        m.${camel(oneof.name)} = { $case: "${info.name}", ${info.name}: ${read} };`);
      else if (field.repeated) decCases.push(`        ${target}.push(${read});`);
      else decCases.push(`        ${target} = ${read};`);
    }
    decCases.push(`        break;`);
  }

  out.push(`/** ${name} encodes, decodes and creates \`${type.fullName.slice(1)}\` messages. */`);
  out.push(`export const ${name}: MessageCodec<${name}> & { mergeFrom(m: ${name}, r: ProtoReader, end: number): ${name} } = {`);
  out.push(`  typeName: "${type.fullName.slice(1)}",`);
  out.push(`  create(${fields.length ? "init" : "_init"}?: PartialMessage<${name}>): ${name} {`);
  out.push(`    return {`);
  out.push(...createLines);
  out.push(`    };`);
  out.push(`  },`);
  out.push(`  encode(message: PartialMessage<${name}>): Uint8Array {`);
  out.push(`    return encodeMessage(message, ${name}.encodeTo);`);
  out.push(`  },`);
  out.push(`  encodeTo(m: PartialMessage<${name}>, w: ProtoWriter): void {`);
  if (encLines.length === 0) out.push(`    void m; void w;`);
  out.push(...encLines.map((l) => "  " + l));
  out.push(`  },`);
  out.push(`  decode(bytes: Uint8Array): ${name} {`);
  out.push(`    return decodeMessage(bytes, ${name}.decodeFrom);`);
  out.push(`  },`);
  out.push(`  decodeFrom(r: ProtoReader, end: number): ${name} {`);
  out.push(`    const m: ${name} = {`);
  out.push(...decInit);
  out.push(`    };`);
  out.push(`    return ${name}.mergeFrom(m, r, end);`);
  out.push(`  },`);
  out.push(`  mergeFrom(m: ${name}, r: ProtoReader, end: number): ${name} {`);
  // Only messages that can contain themselves count nesting (no cost for the others).
  const recursive = reaches(type, type);
  if (recursive) out.push(`    r.enter();`);
  out.push(`    while (r.pos < end) {`);
  out.push(`      const tag = r.tag(end);`);
  if (fields.length > 0) out.push(`      const wire = tag & 7;`);
  out.push(`      switch (tag >>> 3) {`);
  out.push(...decCases.map((l) => "  " + l));
  out.push(`        default:`);
  out.push(`          r.unknown(tag, "${name}", end);`);
  out.push(`      }`);
  out.push(`    }`);
  if (recursive) out.push(`    r.leave();`);
  out.push(`    return m;`);
  out.push(`  },`);
  out.push(`};`);
  out.push("");
}

function generateService(service, pkg, imports, out) {
  const name = `${service.name}Service`;
  out.push(`/** ${name} describes the gRPC service \`${service.fullName.slice(1)}\` (grpc-js compatible). */`);
  out.push(`export const ${name} = {`);
  for (const m of service.methodsArray) {
    const req = ref(m.resolvedRequestType, pkg, imports);
    const res = ref(m.resolvedResponseType, pkg, imports);
    out.push(`  ${lowerFirst(m.name)}: method<${req}, ${res}>("/${service.fullName.slice(1)}/${m.name}", "${m.name}", ${!!m.requestStream}, ${!!m.responseStream}, ${req}, ${res}),`);
  }
  out.push(`} as const;`);
  out.push("");
}

/** All nested types of a namespace, depth first, in declaration order. */
function walk(ns, visit) {
  for (const nested of ns.nestedArray) {
    visit(nested);
    if (nested instanceof protobuf.Namespace) walk(nested, visit);
  }
}

function generate() {
  const root = loadRoot();
  const byPackage = new Map();
  walk(root, (obj) => {
    if (obj instanceof protobuf.Type || obj instanceof protobuf.Enum || obj instanceof protobuf.Service) {
      const pkg = packageOf(obj);
      if (!byPackage.has(pkg)) byPackage.set(pkg, []);
      byPackage.get(pkg).push(obj);
    }
  });
  const files = new Map();
  for (const [pkg, objs] of [...byPackage].sort(([a], [b]) => a.localeCompare(b))) {
    const imports = new Map();
    const body = [];
    for (const obj of objs.filter((o) => o instanceof protobuf.Enum)) generateEnum(obj, pkg, body);
    for (const obj of objs.filter((o) => o instanceof protobuf.Type)) generateMessage(obj, pkg, imports, body);
    const services = objs.filter((o) => o instanceof protobuf.Service);
    for (const obj of services) generateService(obj, pkg, imports, body);
    const head = [
      `// Generated by packages/api/codegen/generate.mjs from proto/ (package ${pkg}). Do not edit.`,
      `/* eslint-disable */`,
      `import { ProtoReader, ProtoDecodeError } from "../wire/ProtoReader.js";`,
      `import type { ProtoWriter } from "../wire/ProtoWriter.js";`,
      `import { EMPTY_BYTES, decodeMessage, encodeMessage${services.length ? ", method" : ""} } from "../wire/codec.js";`,
      `import type { MessageCodec, PartialMessage } from "../wire/codec.js";`,
    ];
    for (const [otherPkg, names] of [...imports].sort(([a], [b]) => a.localeCompare(b))) {
      head.push(`import { ${[...names].sort().join(", ")} } from "./${otherPkg}.js";`);
    }
    head.push("");
    let text = [...head, ...body].join("\n");
    // Drop imports the file does not use (noUnusedLocals).
    for (const ident of ["EMPTY_BYTES", "ProtoDecodeError"]) {
      const uses = text.split(ident).length - 1;
      if (uses === 1) text = text.replace(`${ident}, `, "").replace(`, ${ident}`, "");
    }
    files.set(`${pkg}.ts`, text);
  }
  return files;
}

const files = generate();
if (process.argv.includes("--check")) {
  const stale = [...files].filter(([file, text]) => !existsSync(join(outDir, file)) || readFileSync(join(outDir, file), "utf8") !== text);
  if (stale.length > 0) {
    console.error(`stale generated files: ${stale.map(([f]) => f).join(", ")}; run: pnpm --filter @etcd-ts/api gen`);
    process.exit(1);
  }
  console.log(`generated files up to date (${files.size})`);
} else {
  mkdirSync(outDir, { recursive: true });
  for (const [file, text] of files) writeFileSync(join(outDir, file), text);
  console.log(`wrote ${[...files.keys()].map((f) => `src/generated/${f}`).join(", ")}`);
}
