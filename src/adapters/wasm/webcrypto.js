// RS256, PS256 and ES256 signatures, checked with the runtime's WebCrypto. Rust has judged the
// rest of the token (jwt::verify_or_defer) and hands both verdicts; this picks one. No
// imports: scripts/build-pkg.sh writes the Node build's copy as CommonJS.

const PARAMS = {
  RS256: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, { name: "RSASSA-PKCS1-v1_5" }],
  PS256: [{ name: "RSA-PSS", hash: "SHA-256" }, { name: "RSA-PSS", saltLength: 32 }],
  ES256: [{ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }],
};

// Imported keys by algorithm and JWK text, so a verifier imports each key once.
const imported = new Map();

function importKey(subtle, alg, jwk) {
  const id = `${alg} ${jwk}`;
  let key = imported.get(id);
  if (!key) {
    key = subtle.importKey("jwk", JSON.parse(jwk), PARAMS[alg][0], false, ["verify"]);
    key.catch(() => imported.delete(id));
    imported.set(id, key);
    if (imported.size > 64) imported.delete(imported.keys().next().value);
  }
  return key;
}

// The claims (JSON text; a TokenError to throw when the rest was refused) if `signature` is
// valid, else `badSignature`. A signature WebCrypto cannot read is a bad one.
export async function verifySignature(alg, jwk, message, signature, claims, badSignature) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error(`${alg} needs WebCrypto (globalThis.crypto.subtle)`);
  let valid = false;
  try {
    valid = await subtle.verify(PARAMS[alg][1], await importKey(subtle, alg, jwk), signature, message);
  } catch {}
  if (!valid) throw badSignature;
  if (typeof claims !== "string") throw claims;
  return JSON.parse(claims);
}
