// ESLint flat config: typescript-eslint with type information, Prettier owns formatting.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import prettier from 'eslint-config-prettier/flat';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['**/dist/', '**/node_modules/', 'schema/', '**/coverage/', '**/.turbo/', '**/bench-results/', '.secrets/']),

  {
    name: 'shop/typescript',
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // One program over every file, the workspace packages read from their sources: no
        // build needed, and one type-check instead of one per package (tsconfig.eslint.json).
        project: './tsconfig.eslint.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'warn' },
    rules: {
      // Promises must be awaited, returned, or explicitly discarded with `void`.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',

      // Noise for this code base: `any` is used deliberately at a few boundaries (Kysely<any>, JSON bodies).
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/require-await': 'off',
      // Index reads are asserted (`rows[0]!`) although noUncheckedIndexedAccess is off; that is deliberate here.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // `_`-prefixed names are deliberately unused (`const { stacktrace: _stack, ...rest } = …`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },

  {
    // Config files (eslint.config.mjs, vitest.config.mts): no tsconfig covers them, so no type information.
    name: 'shop/config-files',
    files: ['**/*.{js,mjs,cjs}', '**/*.{mts,cts}'],
    extends: [js.configs.recommended],
  },
  {
    files: ['**/*.{mts,cts}'],
    extends: [tseslint.configs.recommended],
  },

  // Last: turn off every rule that would fight Prettier.
  prettier,
);
