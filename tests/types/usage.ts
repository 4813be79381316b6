// What an app writes against the package's types, compiled with tsc --strict against the
// generated declarations (pkg/web/edge_auth.d.ts). The response types come from the Rust
// types: renaming or retyping a field there breaks this file, so the package cannot drift
// from the API silently.
import init, {
  AuthClient,
  classifyCredential,
  decodeJwtUnverified,
  JwtVerifier,
  verifyJwt,
  type ApiKeyCreated,
  type ApiKeySummary,
  type AuthApiError,
  type AuthClientOptions,
  type AuthStateEvent,
  type CredentialKind,
  type DecodedJwt,
  type Identity,
  type JwtAlgorithm,
  type JwtClaims,
  type LoginInput,
  type Me,
  type PrivateKeyStatus,
  type RegisterInput,
  type Scheme,
  type TokenError,
  type TokenErrorCode,
  type TokenResponse,
  type User,
  type ValidationIssue,
  type VerifyOptions,
} from "../../pkg/web/edge_auth.js";

export async function everything(): Promise<string[]> {
  await init();
  const options: AuthClientOptions = { baseUrl: "https://auth.example", storage: "session" };
  const auth = new AuthClient(options);
  const user: User = await auth.register({ email: "a@example.com", password: "long enough" });
  const tokens: TokenResponse = await auth.login({ email: user.email, password: "long enough" });
  const bearer: "bearer" = tokens.token_type;
  const seconds: number = tokens.expires_in;
  const me: Me = await auth.me();
  const scheme: Scheme = me.auth_scheme;
  const name: string | null = me.name;
  const identities: Identity[] = me.identities;
  const linkedAt: string = identities[0].linked_at;
  const identityEmail: string | null = identities[0].email;
  const created: ApiKeyCreated = await auth.createApiKey({ name: "ci", scopes: ["read"], expiresInDays: 30 });
  const keys: ApiKeySummary[] = await auth.listApiKeys();
  const lastUsed: string | null = keys[0].last_used_at;
  const expires: string | null = created.expires_at;
  const status: PrivateKeyStatus = await auth.privateKeyStatus();
  const hasKey: boolean = status.has_key;
  const verify: VerifyOptions = { issuer: "https://auth.example", algorithms: ["EdDSA"], leewaySecs: 30 };
  const claims = verifyJwt("a.b.c", { keys: [] }, verify);
  const done: boolean = await auth.completeProviderSignIn("#code=x");
  return [bearer, String(seconds), scheme, String(name), linkedAt, String(identityEmail), String(lastUsed),
    String(expires), String(hasKey), String(claims.sub), String(done), created.key];
}

// Generated from the Rust types too: the client's inputs, the error codes, the 422 entries.
export function inputsAndErrors(err: unknown): string[] {
  const signUp: RegisterInput = { email: "a@example.com", password: "long enough" };
  const named: RegisterInput = { ...signUp, name: "Ada" };
  const login: LoginInput = { email: named.email, password: named.password };
  // @ts-expect-error: the password is required.
  const noPassword: LoginInput = { email: "a@example.com" };
  const out: string[] = [login.email, String(named.name), String(noPassword)];
  const apiError = err as AuthApiError;
  if (Array.isArray(apiError.detail)) {
    const issues: ValidationIssue[] = apiError.detail;
    for (const issue of issues) {
      const where: (string | number)[] = issue.loc;
      out.push(`${where.join(".")}: ${issue.msg} (${issue.type})`);
    }
  } else {
    out.push(`${apiError.status} ${apiError.detail}`);
  }
  const tokenError = err as TokenError;
  const code: TokenErrorCode = tokenError.code;
  const known: TokenErrorCode[] = ["expired", "wrong_nonce", "missing_scope", "invalid_jwks"];
  // @ts-expect-error: not a code the package throws.
  const unknown: TokenErrorCode = "token_expired";
  out.push(code, ...known, unknown);
  return out;
}

export function offline(token: string): string[] {
  const kind: CredentialKind = classifyCredential(token);
  const decoded: DecodedJwt = decodeJwtUnverified(token);
  const alg: string = decoded.header.alg;
  const aud: string | string[] | undefined = decoded.claims.aud;
  const algorithms: JwtAlgorithm[] = ["EdDSA", "HS256"];
  // @ts-expect-error: the package does not verify RS512.
  const rsa: JwtAlgorithm = "RS512";
  const verifier = new JwtVerifier({ keys: [{ kty: "oct", k: "c2VjcmV0" }] }, { algorithms });
  const claims: JwtClaims = verifier.verify(token);
  return [kind, alg, String(aud), rsa, String(claims.exp)];
}

// The session helpers: a fresh token, fetch with it, and the session's changes.
export async function session(auth: AuthClient): Promise<string[]> {
  const token: string | undefined = await auth.getAccessToken();
  // @ts-expect-error: undefined when signed out.
  const surely: string = await auth.getAccessToken();
  const response: Response = await auth.fetch("/api/v1/auth/me");
  const posted: Response = await auth.fetch(new Request("https://api.example/items"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "x" }),
  });
  // @ts-expect-error: a RequestInit, not a string.
  await auth.fetch("/x", "POST");
  const seen: AuthStateEvent[] = [];
  const unsubscribe: () => void = auth.onAuthStateChange((event) => {
    const known: "signed_in" | "refreshed" | "signed_out" | "session_ended" = event;
    seen.push(known);
  });
  // @ts-expect-error: not an event the client emits.
  const wrong: AuthStateEvent = "token_refreshed";
  unsubscribe();
  return [String(token), surely, String(response.status), String(posted.ok), wrong, ...seen];
}
