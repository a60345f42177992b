// One ESLint config for the whole workspace: typescript-eslint's recommended rules plus the
// layer rule of DESIGN §2 (tools/eslint-plugin-layers).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import layers from "@etcd-ts/eslint-plugin-layers";

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
);
