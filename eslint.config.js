// Type-aware lint: floating promises, exhaustive switches, type-only imports.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { layerBlocks } from "./tools/lint/layers.js";

const DICOM_TAG_MESSAGE =
  "A bare hex DICOM tag: name it with Tag from src/dicom/ (add the row there if it is missing).";

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

  // ---- DICOM vocabulary (issue 18) -------------------------------------------------
  // Data element tags are named in src/dicom/ (Tag.PixelData), never spelled as bare
  // hex elsewhere in src/: "7FE00010", "x7fe00010", 0x7fe00010, "(7FE0,0010)", or such
  // a tag inside a template literal. A coded concept's `value` (SNOMED CT 60046008) is
  // not a tag. Numbers: only 8-hex-digit literals whose group is a standard DICOM
  // group (0000-00FF, 1000-60FF by hundreds, 7FE0, FFFA/FFFC/FFFE), so hash and PRNG
  // constants pass. test/tools/lint-rules.test.ts shows what it reports.
  {
    files: ["src/**/*.ts"],
    ignores: ["src/dicom/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector:
            "Literal[value=/^x?[0-9A-Fa-f]{8}$/]:not(Property[key.name='value'] > Literal.value)",
          message: DICOM_TAG_MESSAGE,
        },
        {
          selector: "Literal[value=/^[(]?[0-9A-Fa-f]{4},[0-9A-Fa-f]{4}[)]?$/]",
          message: DICOM_TAG_MESSAGE,
        },
        {
          selector:
            "Literal[raw=/^0[xX](?:00[0-9A-Fa-f]{2}|[1-6]0[0-9A-Fa-f]{2}|7[Ff][Ee]0|[Ff]{3}[AaCcEe])[0-9A-Fa-f]{4}$/]",
          message: DICOM_TAG_MESSAGE,
        },
        {
          // At the start of a template, or after a separator (not right after `${x}`).
          selector: "TemplateElement:first-child[value.raw=/^x?[0-9A-Fa-f]{8}(?![0-9A-Za-z])/]",
          message: DICOM_TAG_MESSAGE,
        },
        {
          selector: "TemplateElement[value.raw=/[^0-9A-Za-z.]x?[0-9A-Fa-f]{8}(?![0-9A-Za-z])/]",
          message: DICOM_TAG_MESSAGE,
        },
      ],
    },
  },
  // ---- end DICOM vocabulary ----------------------------------------------------------
);
