/**
 * electron-vite: main (src/main/index.ts), preload (src/preload/index.ts, CommonJS because
 * sandboxed preloads cannot be ES modules) and renderer (src/renderer/index.html, React).
 * Dependencies stay external in main (better-sqlite3's native binding, ws, chokidar…).
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';

export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      rollupOptions: { input: { index: resolve('src/main/index.ts') } },
    },
  },
  preload: {
    build: {
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    // Relative asset URLs: the same build is loaded from file:// (desktop) and http:// (browser).
    base: './',
    plugins: [react()],
    build: {
      rollupOptions: { input: { index: resolve('src/renderer/index.html') } },
    },
  },
});
