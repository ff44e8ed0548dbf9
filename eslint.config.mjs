// ESLint, type-aware (typescript-eslint's project service reads tsconfig.json), over
// everything we write: src/, test/, bench/, scripts/. On as errors: the rules that catch
// real bugs in this code base (a promise nobody awaits, an `any` that silently turns off
// the type checker, a switch over a union that forgets a member). Formatting is
// Prettier's job (`npm run format:check`), so no stylistic rule is on here.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

// Front files (docs/architecture.md): a folder of src/ is reached from other folders only
// through its index.ts, statically or by import(); src/cli, the top, is imported by
// nothing else. A stage's heavy parts stay lazy behind loader functions of its front file.
const STAGES = ["agent", "apply", "cache", "demo", "diff", "heartbeat", "observe", "report", "spec", "system"];
const throughFrontFile = {
  regex: `^(\\.\\./)+(${STAGES.join("|")})/(?!index\\.js$)`,
  message: "Import another folder of src/ only through its front file, FOLDER/index.js (docs/architecture.md).",
};
const notTheCli = {
  regex: "^(\\.\\./)+cli/",
  message: "Nothing outside src/cli imports src/cli: the CLI is the top (docs/architecture.md).",
};
/** The same rule for import() expressions, which no-restricted-imports does not see. */
const lazyThrough = (pattern) => ({
  selector: `ImportExpression > Literal[value=/${pattern.regex.replaceAll("/", "\\/")}/]`,
  message: pattern.message,
});

export default defineConfig(
  globalIgnores(["dist/", "node_modules/", "test/fixtures/", "coverage/", ".scratch/", "tmp/"]),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          // The .mjs files are not in tsconfig.json (no allowJs): each gets a default program.
          allowDefaultProject: ["*.mjs", "bench/*.mjs", "scripts/*.mjs", "test/*/*.mjs"],
          // One default program per such file; there are about ten.
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 24,
        },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // Promises: a forgotten await loses an error or races the exit.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      // Discriminated unions (condition types, reasons, formats) are switched on exhaustively:
      // a new member must be handled everywhere, a `default:` does not count as handling it.
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false },
      ],
      // `any` turns the type checker off: none written, none flowing out of a JSON.parse unchecked.
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unsafe-argument": "error",
      "@typescript-eslint/no-unsafe-assignment": "error",
      "@typescript-eslint/no-unsafe-call": "error",
      "@typescript-eslint/no-unsafe-member-access": "error",
      "@typescript-eslint/no-unsafe-return": "error",
      // Every command's run() is async by contract (the CLI awaits it); one that happens not to
      // await anything is not a bug.
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Plain JavaScript (bench/, scripts/, this file): TypeScript infers what it can, the
    // rest is `any` by nature, not by choice, so only the `any` rules are off here.
    files: ["**/*.mjs"],
    rules: {
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [throughFrontFile, notTheCli] }],
      "no-restricted-syntax": ["error", lazyThrough(throughFrontFile), lazyThrough(notTheCli)],
    },
  },
  {
    files: ["src/cli/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [throughFrontFile] }],
      "no-restricted-syntax": ["error", lazyThrough(throughFrontFile)],
    },
  },
);
