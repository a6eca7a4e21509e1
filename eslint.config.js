// ESLint (flat config) with typescript-eslint; formatting is Prettier's job (eslint-config-prettier
// turns off the style rules that would fight it). Type-aware rules run on the TypeScript the
// compiler already checks (tsconfig.json): they catch promises left floating and async handlers
// passed where nothing awaits them, mistakes the compiler lets through.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'index/', 'test-results/', '.eval-index*/', 'tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    files: ['**/*.{ts,js}'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_name` says "deliberately unused" (a destructured field left out, an express argument).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // A `let` that a closure reads before the one assignment (a shutdown handler set up before boot ends).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  { files: ['src/web/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  // Tests read JSON responses whose shape is exactly what they assert.
  { files: ['tests/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  prettier,
);
