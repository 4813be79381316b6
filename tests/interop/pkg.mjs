// Loads the Node build of the npm package (pkg/node/edge_auth.js, built by
// scripts/build-pkg.sh with `wasm-pack --target nodejs`: CommonJS) the way a Node user would:
// with `import` and `require`. Not a test file (`node --test tests/interop/` only runs
// *.test.mjs); shared by the interop tests and bench/pkg.mjs.
//
// Should Node refuse to load it that way (a CommonJS file in a folder whose nearest
// package.json says "type": "module" is parsed as an ES module and fails), the file is
// evaluated as CommonJS by hand so the other checks can still run, and `loadProblem` says
// why: the "loading the Node build" test fails on it and the bench prints it.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runInThisContext } from "node:vm";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const nodeEntry = `${root}pkg/node/edge_auth.js`;

export const API = [
  "verifyJwt",
  "JwtVerifier",
  "decodeJwtUnverified",
  "isWellFormedApiKey",
  "classifyCredential",
  "TokenError",
];

/** Why the package could not be loaded with a plain `import`, or null. */
export let loadProblem = null;

/** Evaluates `file` as a CommonJS module, whatever the package.json around it says. */
function evaluateAsCommonJs(file) {
  const wrapper = runInThisContext(
    `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, "utf8")}\n})`,
    { filename: file },
  );
  const module = { exports: {} };
  wrapper(module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/** The package's exports, or throws saying what is missing. */
export async function loadPkg() {
  if (!existsSync(nodeEntry)) {
    throw new Error(`${nodeEntry} is missing: build the package first (sh scripts/build-pkg.sh)`);
  }
  let pkg;
  try {
    // `import` of a CommonJS file gives module.exports as `default`; of an ES module, the namespace.
    const ns = await import(pathToFileURL(nodeEntry).href);
    pkg = ns.default && typeof ns.default.verifyJwt === "function" ? ns.default : ns;
  } catch (err) {
    loadProblem = `import("pkg/node/edge_auth.js") fails: ${err.constructor.name}: ${err.message.split("\n")[0]}`;
    process.emitWarning(`${loadProblem} (evaluating it as CommonJS by hand instead)`);
    pkg = evaluateAsCommonJs(nodeEntry);
  }
  const missing = API.filter((name) => typeof pkg[name] !== "function");
  if (missing.length) throw new Error(`pkg/node/edge_auth.js does not export ${missing.join(", ")}`);
  return pkg;
}

export const verifyEntry = `${root}pkg/verify/edge_auth.js`;

/**
 * The verify-only entry (`edge-auth/verify`: pkg/verify, the web build of feature `verify`),
 * loaded as its README tells a Node user to: import the ES module, hand initSync the bytes.
 */
export async function loadVerify() {
  const wasm = `${root}pkg/verify/edge_auth_bg.wasm`;
  if (!existsSync(verifyEntry) || !existsSync(wasm)) {
    throw new Error(`${verifyEntry} is missing: build the package first (sh scripts/build-pkg.sh)`);
  }
  const entry = await import(pathToFileURL(verifyEntry).href);
  entry.initSync({ module: readFileSync(wasm) });
  const missing = API.filter((name) => typeof entry[name] !== "function");
  if (missing.length) throw new Error(`pkg/verify/edge_auth.js does not export ${missing.join(", ")}`);
  return entry;
}

/** The package through `require`, as a CommonJS user loads it (throws if it cannot be). */
export function requirePkg() {
  return createRequire(import.meta.url)(nodeEntry);
}
