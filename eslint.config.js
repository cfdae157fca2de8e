// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const WHY = 'see docs/architecture.md#layers-imports-point-one-way';

/**
 * Studio and the CLI reach the engine through its door, src/engine/index.ts, or its light door,
 * src/engine/boot.ts (what the CLI needs before it loads the rest).
 */
const ENGINE_INSIDE = [['**/engine/**', '!**/engine/index.js', '!**/engine/boot.js']];

/** What no file of the engine imports; the engine's inner layers add to it. */
const NOT_IN_ENGINE = ['**/main/**', '**/renderer/**', '**/preload/**', '**/cli/**'];

/**
 * Layer rule: which folders a layer may not import from (a pattern, or a group of patterns read
 * together, `!` excepting). Do not relax; move the code instead.
 */
const layer = (files, patterns, extra = []) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: extra.map((name) => ({ name, message: `not in this layer: ${WHY}` })),
        patterns: patterns.map((group) => ({
          group: Array.isArray(group) ? group : [group],
          message: `layer violation: ${WHY}`,
        })),
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
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Node's globals everywhere but src/common, which runs in Node and in the renderer alike.
    ignores: ['src/common/**'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // TypeScript's own check sees Node's types in this folder too: no-undef is what refuses
    // `Buffer`, `process` and the like here.
    files: ['src/common/**/*.ts'],
    languageOptions: { globals: { ...globals.es2021, ...globals['shared-node-browser'] } },
    rules: { 'no-undef': 'error' },
  },
  layer(['src/engine/**/*.ts'], NOT_IN_ENGINE, ['electron']),
  // Inside the engine: the compiler knows no server or store, the store no server, the HTTP
  // core no worker, session or journal.
  layer(
    ['src/engine/template/**/*.ts'],
    [
      ...NOT_IN_ENGINE,
      '**/runtime/**',
      '**/http/**',
      '**/session/**',
      '**/journal/**',
      '**/api/**',
      '**/request/**',
      '**/engine.js',
    ],
    ['electron'],
  ),
  // The store and what it is built from; `service.ts` is the façade that joins sessions to the
  // journal for the admin API, above the store.
  {
    ...layer(
      ['src/engine/session/**/*.ts'],
      [
        ...NOT_IN_ENGINE,
        '**/runtime/**',
        '**/http/**',
        '**/request/**',
        '**/journal/**',
        '**/engine.js',
      ],
      ['electron'],
    ),
    ignores: ['src/engine/session/service.ts'],
  },
  layer(
    ['src/engine/http/**/*.ts'],
    [
      ...NOT_IN_ENGINE,
      '**/runtime/**',
      '**/session/**',
      '**/journal/**',
      '**/api/**',
      '**/request/**',
      '**/template/**',
      '**/engine.js',
    ],
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
    ['**/renderer/**', '**/electron/**', '**/preload/**', ...ENGINE_INSIDE],
    ['electron'],
  ),
  layer(['src/main/electron/**/*.ts', 'src/main/*.ts', 'src/cli/**/*.ts'], ENGINE_INSIDE),
);
