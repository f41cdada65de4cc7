import { defineConfig } from 'vite';

// The console is served by the service at /console (src/console/console-assets.ts), under a
// Content-Security-Policy without 'unsafe-inline': no inline script, no style attribute.
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    // The polyfill is an inline-free module, but every browser that runs the console has
    // modulepreload: leave it out.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    emptyOutDir: true,
    reportCompressedSize: false,
  },
});
