#!/usr/bin/env node
// Our Worker as Cloudflare runs it, for the benches: `node bench/script-only.mjs DIR OUT`
// writes OUT/wrangler.toml, DIR's wrangler.toml without its [build] and [assets] tables (a
// table runs from its header line to the next one) and with `main` made absolute, and copies
// DIR's .dev.vars (local secrets) beside it; `wrangler dev` run in OUT serves the Worker alone.
//
// Without [build]: the bench has built it. Without [assets]: with them, wrangler dev puts its
// own asset router Worker in front of ours and starts an asset server Worker for the demo site;
// locally they cost about 25 ms of CPU at a cold start, more than our whole script, and about
// 0.45 ms per API request. They are not our Worker's cost: on Cloudflare the platform serves
// the assets and routes the requests.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export function scriptOnly(dir, out) {
  const toml = fs.readFileSync(path.join(dir, "wrangler.toml"), "utf8");
  let drop = false;
  const kept = toml.split("\n").filter((line) => {
    const header = /^\s*\[+\s*([\w.]+)\s*\]+/.exec(line);
    if (header) drop = header[1] === "build" || header[1] === "assets";
    return !drop;
  });
  const mainLine = /^main\s*=\s*"([^"]+)"\s*$/m;
  const text = kept.join("\n");
  const main = mainLine.exec(text);
  if (!main) throw new Error(`${dir}/wrangler.toml: no main = "..." line`);
  const script = path.resolve(dir, main[1]);
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: build the Worker first (make build)`);
  if (/^\s*\[+\s*(build|assets)\s*\]/m.test(text)) throw new Error("could not drop [build] and [assets]");
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "wrangler.toml"), text.replace(mainLine, `main = ${JSON.stringify(script)}`));
  const vars = path.join(dir, ".dev.vars");
  if (fs.existsSync(vars)) fs.copyFileSync(vars, path.join(out, ".dev.vars"));
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, out] = process.argv.slice(2);
  if (!dir || !out) {
    console.error("usage: node bench/script-only.mjs DIR OUT");
    process.exit(1);
  }
  try {
    scriptOnly(dir, out);
  } catch (e) {
    console.error(`script-only: ${e.message}`);
    process.exit(1);
  }
}
