import { defineConfig } from "vite";

export default defineConfig({
  // Served as http://127.0.0.1:PORT, not http://localhost:PORT: the auth API's
  // CORS_ALLOWED_ORIGINS lists exact origins.
  preview: { host: "127.0.0.1" },
});
