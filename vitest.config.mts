// End-to-end tests: the built Rust Worker (build/worker/shim.mjs, made by
// `sh scripts/build-worker.sh`) runs inside workerd through
// @cloudflare/vitest-pool-workers, and the tests call it with `SELF.fetch`.
// The pool never runs wrangler's [build] command: build the Worker first.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));
const main = "build/worker/shim.mjs";

if (!existsSync(new URL(main, import.meta.url))) {
  throw new Error(
    `${main} is missing: build the Worker first (sh scripts/build-worker.sh, or make)`,
  );
}

// Fresh secrets for every run: standard base64 of 32 random bytes each.
const secret = () => randomBytes(32).toString("base64");

export default defineConfig({
  plugins: [
    cloudflareTest({
      main,
      // Bindings, vars (argon2 parameters at real strength) and the
      // compatibility date come from wrangler.toml; the overrides below win.
      wrangler: { configPath: "./wrangler.toml" },
      // Nothing in the tests may reach the network.
      remoteBindings: false,
      miniflare: {
        bindings: {
          JWT_SIGNING_KEY: secret(),
          PRIVATE_KEY_ENCRYPTION_KEY: secret(),
          API_KEY_PEPPER: secret(),
          // A spent refresh token is a reuse at once (the grace window is
          // covered by the native Rust tests).
          REFRESH_REUSE_GRACE_SECS: "0",
          // The strict mode (every request asks the Durable Objects about revocation), so
          // the revocation races run against it; smoke, browser and provider suites run
          // wrangler.toml's default (edge).
          CONSISTENCY: "strict",
          // A browser app on another origin (tests/e2e/cors.test.ts).
          CORS_ALLOWED_ORIGINS: "http://127.0.0.1:5173",
        },
      },
    }),
  ],
  root,
  test: {
    include: ["tests/e2e/**/*.test.ts"],
    // argon2id at m=19 MiB in wasm costs ~50 ms per hash on a fast core;
    // leave room for a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
