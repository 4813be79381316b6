// What the Node build's declarations promise, at run time (tests/types/run.sh, after tsc): by
// the package's name, `import` and `require` both give a callable init() and initSync(), and
// the same API. Needs node_modules/edge-auth (the link to pkg/ run.sh makes).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import init, * as esm from "edge-auth";
import initNode from "edge-auth/node";

const cjs = createRequire(import.meta.url)("edge-auth");
assert.equal(typeof init, "function", "import init from \"edge-auth\": not a function");
assert.equal(initNode, init);
assert.equal(await init(), undefined);
assert.equal(esm.initSync(), undefined);
assert.equal(cjs.default, init, "require(\"edge-auth\").default is not the same init()");
assert.deepEqual(Object.keys(esm).sort(), Object.keys(cjs).filter((name) => name !== "__esModule").sort());
for (const name of ["verifyJwt", "JwtVerifier", "decodeJwtUnverified", "isWellFormedApiKey", "classifyCredential", "AuthClient", "TokenError", "AuthApiError"]) {
  assert.equal(typeof esm[name], "function", `import: ${name}`);
  assert.equal(esm[name], cjs[name], `import and require give different ${name}`);
}
// A refused token in Node is an instance of the class both entries export.
assert.throws(() => esm.verifyJwt("not.a.jwt", { keys: [] }), (err) => err instanceof cjs.TokenError && err.code === "malformed");
console.log("ok   node-entries.mjs (import and require of edge-auth in Node: init, initSync, the API)");
