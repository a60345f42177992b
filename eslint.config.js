// One ESLint config for the whole workspace: typescript-eslint's recommended rules plus the
// layer rule of DESIGN §2 (tools/eslint-plugin-layers), and typescript-eslint's type-checked
// rules (no-floating-promises, no-misused-promises, no-unsafe-*, ...) on the packages listed
// in TYPE_CHECKED_PACKAGES.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import layers from "@etcd-ts/eslint-plugin-layers";

/**
 * Packages linted with type information. To switch a package on, add its folder here and fix
 * what `pnpm --filter <pkg> lint` reports. Every listed package must have its TypeScript files
 * in its own tsconfig.json's `include`; its plain JS files go into LOOSE_FILES below.
 */
const TYPE_CHECKED_PACKAGES = [
  "packages/raft",
  "packages/wal",
  "packages/api",
  "packages/mvcc",
  "packages/lease",
  "packages/auth",
  "packages/concurrency",
  "packages/client",
  "packages/server",
  "apps/etcd",
  "benchmarks",
  "tools/testkit",
  "tools/eslint-plugin-layers",
];

/**
 * Plain JS files of those packages that no tsconfig includes (bin shims, scripts, codegen, the
 * layer plugin): typed through the project service's default project. Globs relative to this
 * folder; `**` is not allowed there.
 */
const LOOSE_FILES = [
  "apps/etcd/bin/*.js",
  "benchmarks/bin/*.js",
  "benchmarks/scripts/*.mjs",
  "packages/api/codegen/*.mjs",
  "tools/eslint-plugin-layers/src/*.js",
  "tools/eslint-plugin-layers/test/*.js",
];

/** Only the rules of typescript-eslint's type-checked preset (the parser comes from `recommended`). */
const typeCheckedRules = tseslint.configs.recommendedTypeCheckedOnly.find(
  (config) => config.name === "typescript-eslint/recommended-type-checked-only",
).rules;

export default tseslint.config(
  {
    ignores: ["**/dist/**", "**/node_modules/**", "docs/**", "**/*.d.ts", "**/generated/**",
      // Files that must be rejected: the layer rule's own fixtures (its tests lint them).
      "tools/eslint-plugin-layers/fixtures/**"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { layers },
    languageOptions: { ecmaVersion: 2023, sourceType: "module", globals: { console: "readonly", process: "readonly" } },
    rules: {
      "layers/layers": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    name: "etcd-ts/type-checked",
    files: TYPE_CHECKED_PACKAGES.map((pkg) => `${pkg}/**/*.{ts,mts,cts,js,mjs,cjs}`),
    // The layer plugin's tests lint these fixtures with ignores off; they belong to no project.
    ignores: ["tools/eslint-plugin-layers/fixtures/**"],
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: LOOSE_FILES,
          // Loose files get the workspace compiler options (NodeNext resolution, @types/node).
          defaultProject: "tsconfig.base.json",
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      ...typeCheckedRules,
      // node:test's test()/describe()/it() return a promise the runner itself tracks; awaiting
      // it at the top of a test file is neither needed nor the style. Everything else floats
      // only with an explicit `void` and a comment saying why.
      "@typescript-eslint/no-floating-promises": ["error", {
        allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "it", "describe", "suite", "before", "after", "beforeEach", "afterEach"] }],
      }],
      // Passing on a caught `unknown` (reject(caught)) is a rethrow: allowed here as
      // only-throw-error allows `throw caught` by default. New rejections must still be Errors.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true }],
    },
  },
  {
    name: "etcd-ts/type-checked-plain-js",
    files: TYPE_CHECKED_PACKAGES.map((pkg) => `${pkg}/**/*.{js,mjs,cjs}`),
    // Plain JS (bin shims, scripts, codegen) has no annotations: every parameter and every
    // JSON.parse or untyped-library value is `any`, so the no-unsafe-* family would flag each
    // use of it rather than a mistake. The promise rules and the rest still apply to it.
    rules: {
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
);
