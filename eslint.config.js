// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const WHY = 'see docs/architecture.md#layers-imports-point-one-way';

/** Layer rule: which folders a layer may not import from. Do not relax; move the code instead. */
const layer = (files, patterns, extra = []) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: extra.map((name) => ({ name, message: `not in this layer: ${WHY}` })),
        patterns: patterns.map((group) => ({ group: [group], message: `layer violation: ${WHY}` })),
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      'out',
      'coverage',
      'test-artifacts',
      'src/engine/python',
      'examples',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  layer(
    ['src/engine/**/*.ts'],
    ['**/main/**', '**/renderer/**', '**/preload/**', '**/cli/**'],
    ['electron'],
  ),
  layer(
    ['src/common/**/*.ts'],
    ['node:*', '**/engine/**', '**/main/**', '**/renderer/**', '**/preload/**'],
    ['electron'],
  ),
  layer(
    ['src/renderer/**/*.{ts,tsx}'],
    ['node:*', '**/engine/**', '**/main/**', '**/preload/**', '**/cli/**'],
    ['electron'],
  ),
  layer(
    ['src/main/service/**/*.ts', 'src/main/web/**/*.ts'],
    ['**/renderer/**', '**/electron/**', '**/preload/**'],
    ['electron'],
  ),
);
