// The one primitive the package borrows from the platform: checking an RS256, PS256 or ES256
// signature with WebCrypto (browsers, Node 20+, Workers). Everything else about the token has
// been judged in Rust already (jwt::verify_or_defer); this only picks between the two verdicts
// it was handed. A plain ES module without imports: scripts/build-pkg.sh writes the Node
// build's copy as CommonJS.

const PARAMS = {
  RS256: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, { name: "RSASSA-PKCS1-v1_5" }],
  PS256: [{ name: "RSA-PSS", hash: "SHA-256" }, { name: "RSA-PSS", saltLength: 32 }],
  ES256: [{ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }],
};

// Imported keys by algorithm and JWK text: a verifier's keys are imported once, not per token.
const imported = new Map();
const MAX_KEYS = 64;

function importKey(subtle, alg, jwk) {
  const id = `${alg} ${jwk}`;
  let key = imported.get(id);
  if (!key) {
    key = subtle.importKey("jwk", JSON.parse(jwk), PARAMS[alg][0], false, ["verify"]);
    key.catch(() => imported.delete(id));
    imported.set(id, key);
    if (imported.size > MAX_KEYS) imported.delete(imported.keys().next().value);
  }
  return key;
}

/**
 * Resolves to JSON.parse(`claims`) (or rejects with it, when the rest of the token was refused:
 * a TokenError) if `signature` is `alg`'s signature of `message` under the public `jwk` (JSON
 * text); otherwise rejects with `badSignature`. A signature WebCrypto cannot even read is a bad
 * one; WebCrypto missing altogether is an Error.
 */
export async function verifySignature(alg, jwk, message, signature, claims, badSignature) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error(`${alg} needs WebCrypto (globalThis.crypto.subtle), which this runtime lacks`);
  let valid;
  try {
    valid = await subtle.verify(PARAMS[alg][1], await importKey(subtle, alg, jwk), signature, message);
  } catch {
    valid = false;
  }
  if (!valid) throw badSignature;
  if (typeof claims !== "string") throw claims;
  return JSON.parse(claims);
}
