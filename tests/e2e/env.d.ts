// Bindings of the Worker under test (wrangler.toml plus the overrides in vitest.config.mts).
declare namespace Cloudflare {
  interface Env {
    AUTH_KV: KVNamespace;
    JWT_SIGNING_KEY: string;
    PRIVATE_KEY_ENCRYPTION_KEY: string;
    API_KEY_PEPPER: string;
    JWT_ISSUER: string;
    JWT_AUDIENCE: string;
    ACCESS_TOKEN_TTL_SECS: string;
    REFRESH_TOKEN_TTL_SECS: string;
    REFRESH_REUSE_GRACE_SECS: string;
    ARGON2_MEMORY_KIB: string;
    ARGON2_ITERATIONS: string;
    ARGON2_PARALLELISM: string;
  }
}
