// ESLint plugin that enforces the layer rule of DESIGN §2 on every import.
//
// Checked: static imports, re-exports, dynamic import() with a literal, and require().
// Rejected: an import of a package above (or beside) the importer's layer; any import into
// another package's `src/` (by name or by a relative path leaving the package).
// It does not resolve computed specifiers; those are not used in this code base.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { allowedImport, ownPackageOf } from "./layers.js";

/** @type {Map<string, { root: string, name: string } | null>} */
const packageCache = new Map();

/**
 * Finds the nearest package.json above `dir`: the package a file belongs to.
 * @param {string} dir
 * @returns {{ root: string, name: string } | null}
 */
function owningPackage(dir) {
  const cached = packageCache.get(dir);
  if (cached !== undefined) return cached;
  let found;
  const manifest = join(dir, "package.json");
  if (existsSync(manifest)) {
    /** @type {unknown} */
    const parsed = JSON.parse(readFileSync(manifest, "utf8"));
    const name = typeof parsed === "object" && parsed !== null && "name" in parsed ? parsed.name : undefined;
    found = typeof name === "string" ? { root: dir, name } : null;
  } else {
    const parent = dirname(dir);
    found = parent === dir ? null : owningPackage(parent);
  }
  packageCache.set(dir, found);
  return found;
}

/** @type {import("eslint").Rule.RuleModule} */
const layersRule = {
  meta: {
    type: "problem",
    docs: { description: "Imports point down the layer list of DESIGN §2 and never into another package's src/" },
    schema: [],
    messages: {
      upward: "{{from}} may not import {{to}}: imports point down the layer list (DESIGN §2).",
      deepSrc: "{{from}} may not reach into {{to}}'s src/: import the package's public API.",
      escapes: "{{from}} may not import '{{specifier}}': a relative path may not leave the package.",
    },
  },
  create(context) {
    const filename = context.filename;
    const owner = owningPackage(dirname(resolve(filename)));
    if (!owner) return {};

    /** @param {import("eslint").Rule.Node} node @param {unknown} value */
    function check(node, value) {
      if (typeof value !== "string") return;
      if (value.startsWith(".")) {
        const target = resolve(dirname(filename), value);
        const rel = relative(owner.root, target);
        if (rel.startsWith("..") || rel.startsWith(sep)) {
          context.report({ node, messageId: "escapes", data: { from: owner.name, specifier: value } });
        }
        return;
      }
      const own = ownPackageOf(value);
      if (!own) return;
      if (own.name !== owner.name && !allowedImport(owner.name, own.name)) {
        context.report({ node, messageId: "upward", data: { from: owner.name, to: own.name } });
        return;
      }
      if (own.name !== owner.name && (own.subpath === "src" || own.subpath.startsWith("src/"))) {
        context.report({ node, messageId: "deepSrc", data: { from: owner.name, to: own.name } });
      }
    }

    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === "Literal" && check(node.source, node.source.value),
      CallExpression: (node) => {
        const [arg] = node.arguments;
        if (node.callee.type === "Identifier" && node.callee.name === "require" && arg?.type === "Literal") {
          check(arg, arg.value);
        }
      },
    };
  },
};

/** The plugin object for eslint.config.js: `plugins: { layers }`, rule `layers/layers`. */
const plugin = { meta: { name: "@etcd-ts/eslint-plugin-layers" }, rules: { layers: layersRule } };
export default plugin;
export { allowedImport, LAYER_ORDER, APPS, LEAVES, TEST_KITS, TEST_KIT_RUNTIME_USERS } from "./layers.js";
