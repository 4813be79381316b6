// A Node app written as CommonJS (moduleResolution "nodenext"): `require` resolves the
// package's "node" build through `exports`, the CommonJS file itself; `default` is init().
import edgeAuth = require("edge-auth");
import edgeAuthNode = require("edge-auth/node");

export async function consume(token: string): Promise<string[]> {
  await edgeAuth.default();
  edgeAuthNode.initSync();
  const claims: edgeAuth.JwtClaims = edgeAuth.verifyJwt(token, { keys: [] });
  const kind: edgeAuthNode.CredentialKind = edgeAuthNode.classifyCredential(token);
  return [String(claims.sub), kind];
}
