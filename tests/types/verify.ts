// The verify-only entry (`edge-auth/verify`, pkg/verify/edge_auth.d.ts) as an app uses it,
// under tsc --strict: the same names and types as the full package's offline utilities.
import init, {
  initSync,
  classifyCredential,
  decodeJwtUnverified,
  isWellFormedApiKey,
  JwtVerifier,
  verifyJwt,
  verifyJwtAsync,
  type CredentialKind,
  type DecodedJwt,
  type JwtAlgorithm,
  type JwtClaims,
  type TokenError,
  type TokenErrorCode,
  type VerifyOptions,
} from "../../pkg/verify/edge_auth.js";
import type * as Full from "../../pkg/web/edge_auth.js";

export async function verifyOnly(token: string, wasm: BufferSource): Promise<string[]> {
  initSync({ module: wasm });
  await init();
  const options: VerifyOptions = { issuer: "https://auth.example", algorithms: ["HS256"], typ: "at+jwt" };
  const claims: JwtClaims = verifyJwt(token, { keys: [{ kty: "oct", k: "c2VjcmV0" }] }, options);
  // With ESNext.Disposable in the app's lib (tsconfig.json), the classes are Disposable.
  using verifier = new JwtVerifier('{"keys":[]}');
  const again: JwtClaims = verifier.verify(token);
  const kind: CredentialKind = classifyCredential(token);
  const decoded: DecodedJwt = decodeJwtUnverified(token);
  const algorithms: JwtAlgorithm[] = ["EdDSA", "RS256", "PS256", "ES256"];
  // @ts-expect-error: the package does not verify RS512.
  const rsa: JwtAlgorithm = "RS512";
  // An identity provider's token: WebCrypto, so a promise; jose's option names.
  const provider: JwtClaims = await verifier.verifyAsync(token);
  const jose: VerifyOptions = { algorithms: ["RS256"], clockTolerance: 5, currentDate: new Date() };
  const viaJose: JwtClaims = await verifyJwtAsync(token, '{"keys":[]}', jose);
  // @ts-expect-error: currentDate is a Date, as in jose.
  const notADate: VerifyOptions = { currentDate: 1_700_000_000 };
  const wellFormed: boolean = isWellFormedApiKey(token);
  return [String(claims.sub), String(again.exp), kind, decoded.header.alg, ...algorithms, rsa,
    String(wellFormed), String(provider.sub), String(viaJose.iss), String(notADate)];
}

export function sameTypes(err: unknown): Full.TokenErrorCode[] {
  const code: TokenErrorCode = (err as TokenError).code;
  // @ts-expect-error: not a code the package throws.
  const unknown: TokenErrorCode = "token_expired";
  // The entries' types are one: each is assignable to the other.
  const options: Full.VerifyOptions = {} as VerifyOptions;
  const back: VerifyOptions = options;
  const decoded: Full.DecodedJwt = {} as DecodedJwt;
  return [code, unknown, String(back.now) as TokenErrorCode, String(decoded.header.alg) as TokenErrorCode];
}
