// Type-aware lint: floating promises, exhaustive switches, type-only imports.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { layerBlocks } from "./tools/lint/layers.js";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "test-output/**",
      "bench-output/**",
      "**/*.js",
      "**/*.cjs",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/restrict-template-expressions": "off",
      "@typescript-eslint/no-unused-expressions": "off",
    },
  },
  // Layers and facades (tools/lint/layers.js, docs/architecture.md "Layers"): one block per folder of src/.
  ...layerBlocks(new URL("./src", import.meta.url).pathname),
);
