// A Node app written as an ES module (moduleResolution "nodenext"): the package's entries by
// their published names, resolved through `exports` with the "node" and "import" conditions.
// The same code as a browser app: `await init()` is declared (and a no-op) in the Node build.
import init, { AuthClient, JwtVerifier, verifyJwt, type JwtClaims } from "edge-auth";
import initNode, { initSync, classifyCredential, type CredentialKind } from "edge-auth/node";
import initWeb, { decodeJwtUnverified } from "edge-auth/web";
import initVerify, { initSync as initVerifySync, isWellFormedApiKey } from "edge-auth/verify";

export async function consume(token: string, wasm: Uint8Array): Promise<string[]> {
  await init();
  await initNode();
  initSync();
  await initWeb({ module_or_path: wasm });
  initVerifySync({ module: wasm });
  await initVerify();
  const auth = new AuthClient({ baseUrl: "https://auth.example", storage: "memory" });
  const claims: JwtClaims = verifyJwt(token, { keys: [] }, { issuer: "https://auth.example" });
  const verifier = new JwtVerifier('{"keys":[]}');
  const again: JwtClaims = verifier.verify(token);
  const kind: CredentialKind = classifyCredential(token);
  return [String(auth.isLoggedIn), String(claims.sub), String(again.exp), kind,
    decodeJwtUnverified(token).header.alg, String(isWellFormedApiKey(token))];
}
