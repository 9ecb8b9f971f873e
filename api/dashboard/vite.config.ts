import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard is built once and shipped in the package (api/dashboard/dist): no CDN, no external
// fonts, nothing fetched at run time. Preact's JSX through the bundler's own transform, no plugin.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
