// The package's two error classes. Every build exports them as they are (wasm-bindgen's
// `reexport`), so `err instanceof TokenError` and `err instanceof AuthApiError` work, and the
// Rust code throws instances made here. A plain ES module without imports: scripts/build-pkg.sh
// writes the Node build's copy as CommonJS.

/** Why a token was refused by verifyJwt / JwtVerifier: `code` names the check that failed. */
export class TokenError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}
TokenError.prototype.name = "TokenError";

/** A failed AuthClient call: the HTTP status (0 for a network failure) and the API's `detail`. */
export class AuthApiError extends Error {
  constructor(message, status, detail) {
    super(message);
    this.status = status;
    this.detail = detail;
  }
}
AuthApiError.prototype.name = "AuthApiError";
