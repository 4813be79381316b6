// The contract test: every response the e2e suite receives is checked against the Worker's
// own /openapi.json. A status the document does not list for that operation, or a body that
// does not match the listed schema, fails the test that provoked it.
import { Validator } from "@cfworker/json-schema";
import { expect } from "vitest";

interface Operation {
  responses: Record<string, { content?: { "application/json"?: { schema?: unknown } } }>;
}
interface OpenApi {
  paths: Record<string, Record<string, Operation | unknown>>;
  components: unknown;
}

let document: Promise<OpenApi> | undefined;
const validators = new Map<string, Validator>();

/** The operation documented for this method and URL path, if the document lists one. */
function operationFor(doc: OpenApi, method: string, path: string): Operation | undefined {
  for (const [template, item] of Object.entries(doc.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
    if (pattern.test(path)) return item[method.toLowerCase()] as Operation | undefined;
  }
  return undefined;
}

/**
 * Checks one reply against the document. Answers to methods or paths the document does not
 * list (405, 404 tests) have no operation to check against and pass through.
 */
export async function checkContract(
  fetchDocument: () => Promise<OpenApi>,
  reply: { method: string; url: string; status: number; body: unknown; text: string },
): Promise<void> {
  if (reply.method === "HEAD") return;
  document ??= fetchDocument();
  const doc = await document;
  const path = new URL(reply.url).pathname;
  const op = operationFor(doc, reply.method, path);
  if (!op) return;
  const where = `${reply.method} ${path} -> ${reply.status}`;
  const documented = op.responses[String(reply.status)];
  expect(documented, `${where}: status not in /openapi.json (${Object.keys(op.responses)})`).toBeDefined();
  const schema = documented?.content?.["application/json"]?.schema;
  if (!schema) return;
  const key = JSON.stringify(schema);
  let validator = validators.get(key);
  if (!validator) {
    validator = new Validator({ ...(schema as object), components: doc.components }, "2020-12", false);
    validators.set(key, validator);
  }
  const result = validator.validate(reply.body);
  const errors = result.errors.map((e) => `${e.instanceLocation}: ${e.error}`).join("; ");
  expect(result.valid, `${where}: body does not match /openapi.json: ${errors} in ${reply.text.slice(0, 300)}`).toBe(true);
}
