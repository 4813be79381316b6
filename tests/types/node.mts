// A Node app without the DOM library (lib: ES2022 only, no @types/node): the Node build's
// declarations must not lean on browser types (RequestInfo, Response, ...).
import init, { initSync, verifyJwt, JwtVerifier, type JwtClaims } from "edge-auth";
import initNode, { AuthClient } from "edge-auth/node";

export async function consume(token: string): Promise<string[]> {
  await init();
  await initNode();
  initSync();
  const claims: JwtClaims = verifyJwt(token, '{"keys":[]}');
  const again: JwtClaims = new JwtVerifier({ keys: [] }).verify(token);
  const auth = new AuthClient({ baseUrl: "https://auth.example" });
  return [String(claims.sub), String(again.sub), String(auth.isLoggedIn)];
}
