// Fails when chatbot/static/chatbot/ does not hold exactly what `npm run build` makes
// from the current sources (someone edited src/ and forgot to rebuild, or the reverse).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildAll, bundles, defaultOutDir } from "./build.mjs";

const tmp = mkdtempSync(join(tmpdir(), "chatbot-widget-"));
try {
  await buildAll(tmp);
  const differing = Object.keys(bundles).filter((name) => {
    const committed = join(defaultOutDir, name);
    return !existsSync(committed) || !readFileSync(committed).equals(readFileSync(join(tmp, name)));
  });
  if (differing.length) {
    console.error(`built files differ from the sources: ${differing.join(", ")}`);
    console.error("run `cd widget && npm run build` and commit chatbot/static/chatbot/");
    process.exitCode = 1;
  } else {
    console.log(`chatbot/static/chatbot/ is up to date (${Object.keys(bundles).join(", ")})`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
