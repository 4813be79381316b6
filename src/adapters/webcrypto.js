// RS256, PS256 and ES256 signatures (an identity provider's), checked with the runtime's
// WebCrypto: by the Worker's identity-provider port (`verifies`) and by the npm package
// (`verifySignature`: Rust has judged the rest of the token, jwt::verify_or_defer, and hands
// both verdicts; this picks one). No imports: scripts/build-pkg.sh writes the Node build's
// copy as CommonJS.

const PARAMS = {
  RS256: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, { name: "RSASSA-PKCS1-v1_5" }],
  PS256: [{ name: "RSA-PSS", hash: "SHA-256" }, { name: "RSA-PSS", saltLength: 32 }],
  ES256: [{ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }],
};

// Imported keys by algorithm and JWK text, so that each key is imported once (per isolate in
// the Worker, per page or process in the package): importing costs about as much as verifying.
const imported = new Map();

function importKey(subtle, alg, jwk) {
  const id = `${alg} ${jwk}`;
  let key = imported.get(id);
  if (!key) {
    key = subtle.importKey("jwk", JSON.parse(jwk), PARAMS[alg][0], false, ["verify"]);
    key.catch(() => imported.delete(id));
    imported.set(id, key);
    if (imported.size > 32) imported.delete(imported.keys().next().value);
  }
  return key;
}

// Whether `signature` over `message` verifies with the public `jwk` (JSON text) under `alg`.
// A signature WebCrypto cannot read is a bad one (false); a key it cannot import, or no
// WebCrypto at all, rejects.
export async function verifies(alg, jwk, message, signature) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error(`${alg} needs WebCrypto (globalThis.crypto.subtle)`);
  const key = await importKey(subtle, alg, jwk);
  try {
    return (await subtle.verify(PARAMS[alg][1], key, signature, message)) === true;
  } catch {
    return false;
  }
}

// The claims (JSON text; a TokenError to throw when the rest was refused) if `signature` is
// valid, else `badSignature`, which a key WebCrypto cannot import also gives.
export async function verifySignature(alg, jwk, message, signature, claims, badSignature) {
  if (!globalThis.crypto?.subtle) throw new Error(`${alg} needs WebCrypto (globalThis.crypto.subtle)`);
  let valid = false;
  try {
    valid = await verifies(alg, jwk, message, signature);
  } catch {}
  if (!valid) throw badSignature;
  if (typeof claims !== "string") throw claims;
  return JSON.parse(claims);
}
