// Checks requests (and optionally responses) against GitHub's own OpenAPI description
// (@octokit/openapi, generated/api.github.com.json). The document is parsed once per process on
// first use; each operation's validator is compiled on first use and cached.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

type Json = Record<string, unknown>;

interface Operation {
  operationId?: string;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Json }> };
  responses?: Record<string, { content?: Record<string, { schema?: Json }>; $ref?: string }>;
  externalDocs?: { url?: string };
}

interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
  "x-webhooks"?: Record<string, { post?: Operation }>;
}

interface RouteEntry {
  template: string;
  segments: string[];
  methods: Map<string, Operation>;
}

export interface OperationMatch {
  template: string;
  method: string;
  operation: Operation;
  /** Decoded path parameters. */
  params: Record<string, string>;
  documentationUrl: string;
}

export type MatchResult =
  | { kind: "ok"; match: OperationMatch }
  | { kind: "unknown-path" }
  | { kind: "unknown-method"; template: string };

/** Parameters GitHub lets span several path segments when they come last. */
const GREEDY_PARAMS = new Set(["{path}", "{ref}", "{branch}", "{basehead}"]);

const HTTP_METHODS = new Set(["get", "post", "put", "patch", "delete", "head", "options"]);

let documentCache: OpenApiDocument | undefined;
let routesCache: RouteEntry[] | undefined;
let ajvCache: Ajv | undefined;
const validatorCache = new Map<string, ValidateFunction | null>();

export function openApiDocumentPath(): string {
  const require = createRequire(import.meta.url);
  return require.resolve("@octokit/openapi/generated/api.github.com.json");
}

function documentOf(): OpenApiDocument {
  documentCache ??= JSON.parse(readFileSync(openApiDocumentPath(), "utf8")) as OpenApiDocument;
  return documentCache;
}

function routes(): RouteEntry[] {
  if (routesCache) return routesCache;
  const entries: RouteEntry[] = [];
  for (const [template, item] of Object.entries(documentOf().paths)) {
    const methods = new Map<string, Operation>();
    for (const [method, operation] of Object.entries(item)) {
      if (HTTP_METHODS.has(method)) methods.set(method.toUpperCase(), operation);
    }
    entries.push({ template, segments: template.split("/").slice(1), methods });
  }
  routesCache = entries;
  return entries;
}

function ajv(): Ajv {
  if (ajvCache) return ajvCache;
  const instance = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  const addFormats = addFormatsModule.default ?? addFormatsModule;
  addFormats(instance);
  for (const format of [
    "int32",
    "int64",
    "uri-template",
    "binary",
    "byte",
    "password",
    "float",
    "double",
  ]) {
    instance.addFormat(format, true);
  }
  instance.addFormat("repo.nwo", /^[^/\s]+\/[^/\s]+$/);
  ajvCache = instance;
  return instance;
}

function isParam(segment: string): boolean {
  return segment.startsWith("{") && segment.endsWith("}");
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Matches a request path (without /api/v3 and query) to a documented operation. A parameter
 * matches one segment; a template's last parameter may also swallow several segments
 * (`contents/{path}`, `git/ref/{ref}`) the way GitHub's router does. Literal segments win over
 * parameters.
 */
export function matchOperation(method: string, rawPath: string): MatchResult {
  const segments = rawPath.split("/").slice(1);
  let best: { entry: RouteEntry; params: Record<string, string>; score: string } | undefined;
  for (const entry of routes()) {
    const t = entry.segments;
    const last = t[t.length - 1] ?? "";
    const greedy = GREEDY_PARAMS.has(last) && segments.length > t.length;
    if (segments.length !== t.length && !greedy) continue;
    const params: Record<string, string> = {};
    let score = "";
    let ok = true;
    for (let i = 0; i < t.length; i++) {
      const ts = t[i] as string;
      const rs = segments[i] as string;
      if (isParam(ts)) {
        const name = ts.slice(1, -1);
        const value = i === t.length - 1 ? segments.slice(i).join("/") : rs;
        if (value === "" && name !== "path") {
          ok = false;
          break;
        }
        if (/^basehead$/.test(name) && !value.includes("...")) {
          ok = false;
          break;
        }
        params[name] = value.split("/").map(decode).join("/");
        score += "0";
      } else if (ts === rs) {
        score += "1";
      } else {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    score += greedy ? "0" : "1";
    if (!best || score > best.score) best = { entry, params, score };
  }
  if (!best) {
    // GitHub serves a repository's root listing at ".../contents" (no trailing "/{path}").
    if (/^\/repos\/[^/]+\/[^/]+\/contents$/.test(rawPath))
      return matchOperation(method, `${rawPath}/`);
    return { kind: "unknown-path" };
  }
  const operation = best.entry.methods.get(method.toUpperCase());
  if (!operation) return { kind: "unknown-method", template: best.entry.template };
  return {
    kind: "ok",
    match: {
      template: best.entry.template,
      method: method.toUpperCase(),
      operation,
      params: best.params,
      documentationUrl: operation.externalDocs?.url ?? "https://docs.github.com/rest",
    },
  };
}

/** Finds every `#/components/...` schema a schema refers to, transitively. */
function collectRefs(node: unknown, into: Map<string, unknown>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectRefs(item, into);
    return;
  }
  if (!node || typeof node !== "object") return;
  for (const [key, value] of Object.entries(node)) {
    if (key === "$ref" && typeof value === "string" && value.startsWith("#/components/")) {
      if (into.has(value)) continue;
      const target = value
        .slice(2)
        .split("/")
        .reduce<unknown>((t, p) => (t as Json | undefined)?.[p], documentOf());
      into.set(value, target);
      collectRefs(target, into);
    } else {
      collectRefs(value, into);
    }
  }
}

/** OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a union with null. */
function convert(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convert);
  if (!node || typeof node !== "object") return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "example" || key === "examples" || key === "description") continue;
    out[key] =
      key === "properties" || key === "patternProperties" ? convertMap(value) : convert(value);
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === "string" && !out.$ref && !out.allOf && !out.anyOf && !out.oneOf) {
      out.type = [out.type, "null"];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
      return out;
    }
    return { anyOf: [out, { type: "null" }] };
  }
  return out;
}

function convertMap(value: unknown): unknown {
  if (!value || typeof value !== "object") return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) out[k] = convert(v);
  return out;
}

function compileSchema(schema: Json): ValidateFunction {
  const refs = new Map<string, unknown>();
  collectRefs(schema, refs);
  const components: Record<string, Json> = {};
  for (const [ref, target] of refs) {
    const [, , kind, name] = ref.split("/");
    if (!kind || !name) continue;
    components[kind] ??= {};
    (components[kind] as Json)[name] = convert(target);
  }
  return ajv().compile({ ...(convert(schema) as Json), components });
}

function cached(key: string, schema: () => Json | undefined): ValidateFunction | null {
  if (validatorCache.has(key)) return validatorCache.get(key) ?? null;
  const found = schema();
  const validator = found ? compileSchema(found) : null;
  validatorCache.set(key, validator);
  return validator;
}

function jsonSchema(content: Record<string, { schema?: Json }> | undefined): Json | undefined {
  if (!content) return undefined;
  const entry = content["application/json"] ?? content["application/scim+json"];
  return entry?.schema;
}

export function formatAjvErrors(errors: ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return "unknown error";
  return errors
    .slice(0, 5)
    .map((e) =>
      `${e.instancePath || "(root)"} ${e.message ?? ""}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`.trim(),
    )
    .join("; ");
}

/** Validates a JSON request body; returns an error description or undefined. */
export function validateRequestBody(match: OperationMatch, body: unknown): string | undefined {
  const requestBody = match.operation.requestBody;
  const validator = cached(`req ${match.method} ${match.template}`, () =>
    jsonSchema(requestBody?.content),
  );
  if (!validator) return undefined;
  if (body === undefined && !requestBody?.required) return undefined;
  if (validator(body ?? {})) return undefined;
  return formatAjvErrors(validator.errors);
}

function responseSchema(match: OperationMatch, status: number): Json | undefined {
  const responses = match.operation.responses ?? {};
  let response = responses[String(status)] ?? responses[`${String(status)[0]}XX`];
  if (response?.$ref) {
    const name = response.$ref.split("/").pop() ?? "";
    response = (documentOf().components.responses?.[name] ?? undefined) as typeof response;
  }
  return jsonSchema(response?.content);
}

/** Validates a response the fake produced (a check on the fake itself). */
export function validateResponseBody(
  match: OperationMatch,
  status: number,
  body: unknown,
): string | undefined {
  const validator = cached(`res ${match.method} ${match.template} ${status}`, () =>
    responseSchema(match, status),
  );
  if (!validator || validator(body)) return undefined;
  return formatAjvErrors(validator.errors);
}

/** Validates a webhook payload against the document's `x-webhooks` (e.g. "issue-comment-created"). */
export function validateWebhookPayload(
  name: string,
  action: string | undefined,
  payload: unknown,
): string | undefined {
  const key = `${name}${action ? `-${action}` : ""}`.replaceAll("_", "-");
  const validator = cached(`webhook ${key}`, () =>
    jsonSchema(documentOf()["x-webhooks"]?.[key]?.post?.requestBody?.content),
  );
  if (!validator) return `no schema for webhook ${key}`;
  if (validator(payload)) return undefined;
  return formatAjvErrors(validator.errors);
}
