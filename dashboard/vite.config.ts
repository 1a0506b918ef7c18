import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * /api/docs is served offline: Swagger UI's pinned bundle and stylesheet are copied from swagger-ui-dist into the
 * static assets (docs-ui/), next to public/docs-ui/init.js, rather than loaded from a CDN.
 */
function swaggerAssets() {
  const from = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  return {
    name: "docflare-swagger-assets",
    writeBundle(options: { dir?: string }) {
      const to = join(options.dir!, "docs-ui");
      mkdirSync(to, { recursive: true });
      for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"]) copyFileSync(join(from, file), join(to, file));
    },
  };
}

// Built to dashboard/dist: the Worker serves it from the API's origin, and `wrangler pages deploy dashboard/dist` hosts it.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  plugins: [react(), swaggerAssets()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 2000,
  },
  worker: { format: "es" },
});
