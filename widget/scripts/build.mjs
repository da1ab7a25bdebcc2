// Builds the three browser bundles. Output must be byte-identical for identical input
// (CI rebuilds and compares), so: no source maps, no timestamps, pinned esbuild.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
export const widgetDir = resolve(here, "..");
export const defaultOutDir = resolve(widgetDir, "../chatbot/static/chatbot");

export const bundles = {
  "loader.js": "src/loader.ts",
  "panel.js": "src/panel/index.ts",
  "stream-transport.js": "src/stream-entry.ts",
};

export async function buildAll(outDir = defaultOutDir) {
  mkdirSync(outDir, { recursive: true });
  for (const [name, entry] of Object.entries(bundles)) {
    await build({
      absWorkingDir: widgetDir,
      entryPoints: [entry],
      outfile: resolve(outDir, name),
      bundle: true,
      minify: true,
      format: "iife",
      platform: "browser",
      target: "es2020",
      charset: "utf8",
      legalComments: "none",
      sourcemap: false,
      logLevel: "warning",
      define: { "process.env.NODE_ENV": '"production"' },
    });
  }
  return outDir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildAll(process.argv[2] ? resolve(process.argv[2]) : defaultOutDir);
  console.log(`built ${Object.keys(bundles).join(", ")} into ${out}`);
}
