// Renders the API's own OpenAPI document (same origin, generated from the Rust types), with
// "Try it out" against this origin: its `servers` entry is the origin that served it.
window.ui = SwaggerUIBundle({
  url: "/api/v1/auth/openapi.json",
  dom_id: "#api-reference",
  deepLinking: true,
  tryItOutEnabled: false,
  validatorUrl: null,
});
