/**
 * Builds the web page into web/dist (npm run build:web, run by npm install).
 * Next to each built file over 1 KB goes its gzip and brotli twin, which the
 * server's web plugin sends to clients that accept them (no compression per
 * request). In development (`npx vite web`) /api is proxied to the server.
 */
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import { defineConfig, type Plugin } from "vite";

const dist = path.resolve(import.meta.dirname, "dist");

function precompress(): Plugin {
  return {
    name: "cnlab-precompress",
    apply: "build",
    async closeBundle() {
      const files = await walk(dist);
      for (const file of files) {
        if (!/\.(js|css|html|svg|json|txt|map)$/.test(file) || (await stat(file)).size < 1024) continue;
        const data = await readFile(file);
        await writeFile(`${file}.gz`, await promisify(gzip)(data, { level: 9 }));
        await writeFile(`${file}.br`, await promisify(brotliCompress)(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
      }
    },
  };
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)])));
  return nested.flat();
}

export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: dist,
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // The big libraries change less often than the page: their own files stay cached across releases.
        manualChunks: { cytoscape: ["cytoscape"], xterm: ["@xterm/xterm", "@xterm/addon-fit"] },
      },
    },
  },
  plugins: [precompress()],
  server: { proxy: { "/api": { target: "http://127.0.0.1:3000", ws: true } } },
});
