// What `npm publish` would ship (tests/types/run.sh): every file that a packed JS file imports
// or requires by a relative path is packed too (pkg/package.json's `files`), and so is every
// file that its `exports` name. Catches an entry that works from pkg/ and breaks once installed.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../pkg");
const [{ files }] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: pkg, encoding: "utf8" }));
const packed = new Set(files.map((file) => file.path));
const missing = [];
const reference = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*(?:String\.raw)?)["'`](\.{1,2}\/[^"'`]+)["'`]/g;
for (const file of packed) {
  if (!/\.(m|c)?js$/.test(file)) continue;
  for (const [, target] of readFileSync(path.join(pkg, file), "utf8").matchAll(reference)) {
    const resolved = path.posix.join(path.posix.dirname(file), target);
    if (!packed.has(resolved)) missing.push(`${file} -> ${target}`);
  }
}
const targets = (entry) => (typeof entry === "string" ? [entry] : Object.values(entry ?? {}).flatMap(targets));
const manifest = JSON.parse(readFileSync(path.join(pkg, "package.json"), "utf8"));
for (const target of targets(manifest.exports)) {
  if (!packed.has(path.posix.normalize(target))) missing.push(`exports -> ${target}`);
}
assert.deepEqual(missing, [], "referenced but not packed");
assert.ok([...packed].some((file) => file.includes("/snippets/")), "no snippets packed");
console.log(`ok   packed.mjs (npm pack: ${packed.size} files, every relative import and export target among them)`);
