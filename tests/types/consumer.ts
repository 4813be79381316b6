// An app bundled for the browser (moduleResolution "bundler"): every entry of the package,
// imported by its published name, so `exports` in pkg/package.json is what resolves them
// (tests/types/node_modules/edge-auth is a link to pkg/, made by tests/types/run.sh).
import init, { AuthClient, verifyJwt, type JwtClaims } from "edge-auth";
import initWeb, { initSync as initWebSync, JwtVerifier as WebVerifier } from "edge-auth/web";
import initNode, { initSync as initNodeSync, decodeJwtUnverified } from "edge-auth/node";
import { AuthApiError, TokenError } from "edge-auth";
import initVerify, { isWellFormedApiKey, TokenError as VerifyTokenError, type TokenErrorCode } from "edge-auth/verify";

export async function consume(token: string, wasm: BufferSource): Promise<string[]> {
  await init();
  await initWeb();
  initWebSync({ module: wasm });
  // Isomorphic code awaits init() whichever build it gets: the Node build's resolves at once.
  await initNode();
  initNodeSync();
  await initVerify();
  const auth = new AuthClient({ baseUrl: "https://auth.example" });
  const claims: JwtClaims = verifyJwt(token, { keys: [] });
  const verifier = new WebVerifier({ keys: [] });
  verifier.free();
  const code: TokenErrorCode = "expired";
  return [String(auth.isLoggedIn), String(claims.sub), decodeJwtUnverified(token).header.alg,
    String(isWellFormedApiKey(token)), code];
}

// The errors are classes: `instanceof` narrows an unknown error to each one's members.
export function narrow(err: unknown): string {
  if (err instanceof AuthApiError) {
    return `${err.status} ${typeof err.detail === "string" ? err.detail : err.detail.length}`;
  }
  if (err instanceof TokenError || err instanceof VerifyTokenError) {
    const code: TokenErrorCode = err.code;
    return `${err.name}: ${code} ${err.message}`;
  }
  // @ts-expect-error: the package constructs them; an app only catches them.
  return String(new TokenError("forged", "expired"));
}
