// Sizes of the built widget, raw and gzipped, against its budgets.
//   node bench/widget_weight.mjs [--json]
// Gzip at level 9, like a static server's precompressed files (whitenoise uses 9 too).
// Exit status 1 when a budget is exceeded.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const dir = join(dirname(fileURLToPath(import.meta.url)), "../chatbot/static/chatbot");
const budgets = {
  "loader.js": 2048, // on every page
  "panel.js": 25 * 1024, // on first open
  "stream-transport.js": null, // Stream's SDK, only with the stream engine, reported only
};

const rows = [];
let ok = true;
for (const [name, budget] of Object.entries(budgets)) {
  const path = join(dir, name);
  if (!existsSync(path)) {
    console.error(`missing ${path}: run \`cd widget && npm ci && npm run build\``);
    process.exit(1);
  }
  const raw = readFileSync(path);
  const gz = gzipSync(raw, { level: 9 }).length;
  const pass = budget === null || gz <= budget;
  ok &&= pass;
  rows.push({ file: name, raw: raw.length, gzip: gz, budgetGzip: budget, ok: pass });
}

if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ ok, files: rows }, null, 2));
} else {
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log("file                   raw          gzip         budget (gzip)");
  for (const r of rows) {
    const budget = r.budgetGzip === null ? "-" : `${r.budgetGzip} B`;
    console.log(
      `${r.file.padEnd(22)} ${`${r.raw} B`.padEnd(12)} ${`${r.gzip} B (${kb(r.gzip)})`.padEnd(22)} ${budget.padEnd(8)} ${r.ok ? "ok" : "OVER"}`,
    );
  }
  console.log(ok ? "all budgets met" : "a budget is exceeded");
}
process.exitCode = ok ? 0 : 1;
