/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

// The Tauri window loads ui/dist/ under a strict CSP
// (`default-src 'self'; script-src 'self'; style-src 'self'`): everything must be
// an external, hashed file. scripts/check-dist.mjs verifies the built index.html.
export default defineConfig({
  // No hot-reload wrappers under Vitest: components run as they do in the app.
  plugins: [solid({ hot: !process.env.VITEST })],
  base: "./",
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // The polyfill would be fine (it lives in the entry chunk) but WebKitGTK
    // supports modulepreload; keep the output minimal.
    modulePreload: { polyfill: false },
    // Never inline assets as data: URLs into CSS/JS.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    sourcemap: false,
  },
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.{ts,tsx}"],
    setupFiles: ["test/setup.ts"],
    restoreMocks: true,
  },
});
