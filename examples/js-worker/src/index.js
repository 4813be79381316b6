import { verifyRequest } from "edge-auth/verify";

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname !== "/hello") return new Response("Not Found", { status: 404 });
    const { claims, response } = await verifyRequest(request, {
      // The key set from a var, or fetched (and cached) from the auth Worker's JWKS URL.
      ...(env.JWKS_URL ? { jwksUrl: env.JWKS_URL } : { jwks: env.JWKS }),
      issuer: env.ISSUER, audience: env.AUDIENCE,
      // Default ["EdDSA"] (the auth Worker's); an identity provider's: e.g. "RS256,ES256".
      ...(env.ALGORITHMS && { algorithms: env.ALGORITHMS.split(",") }),
    });
    if (response) return response;
    return Response.json({ hello: claims.sub });
  },
};
