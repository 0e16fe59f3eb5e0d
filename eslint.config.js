// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { importX } from "eslint-plugin-import-x";

/** What models/ may not import (see ARCHITECTURE.md, dependency rules). */
const MODELS_PATTERNS = [
  {
    group: [
      "../src/*",
      "../../src/*",
      "../training/*",
      "../../training/*",
      "../jobs/*",
      "../../jobs/*",
      "../test/*",
      "../../test/*",
      "../bench/*",
      "../../bench/*",
    ],
    message: "models/ may import nothing outside itself.",
  },
  {
    group: [
      "node:*",
      "fs",
      "path",
      "http",
      "https",
      "bullmq",
      "ioredis",
      "fastify",
      "@kubernetes/*",
      "prometheus-query",
    ],
    message: "models/ is pure: no I/O.",
  },
];
const TENSORFLOW_PATTERN = {
  group: ["@tensorflow/*"],
  message: "Only models/lstm/ imports TensorFlow.js; tensors never leave it.",
};

export default tseslint.config(
  { ignores: ["dist/", "coverage/", "node_modules/", "bin/", "eslint.config.js", "vitest.config.ts"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "import-x": importX },
    settings: { "import-x/resolver": { node: { extensions: [".ts", ".js"] } } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-non-null-assertion": "off",
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
    },
  },
  {
    // models/ is pure: numbers in, forecasts out. It imports only itself and pure math libraries.
    files: ["models/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [...MODELS_PATTERNS, TENSORFLOW_PATTERN] }] },
  },
  {
    // Only models/lstm/ may import TensorFlow.js (training and the backend choice); no tensor leaves it.
    files: ["models/lstm/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: MODELS_PATTERNS }] },
  },
  {
    // training/ depends on models/ only; never on the running service or job wiring.
    files: ["training/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["../src/*", "../../src/*", "../jobs/*", "../../jobs/*", "bullmq"],
              message: "training/ depends on models/ and its own ports only.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off" },
  },
);
