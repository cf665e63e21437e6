import { readdirSync, readFileSync } from "node:fs";
import Handlebars from "handlebars";
import type { CiMessage } from "./core/ci-view.ts";
import { projectPath } from "./project-root.ts";

/** GitHub refuses comment bodies over 65,536 characters; stay well below. */
export const MAX_COMMENT_CHARS = 60_000;

/** The language every view falls back to, key by key. */
export const FALLBACK_LANGUAGE = "en";

/** A locale: the view strings of one language (`views/locales/<code>.json`), key → text. */
export type Locale = Record<string, string>;

let locales: Map<string, Locale> | null = null;

/** Every locale by its ISO 639-1 code, read once. */
export function allLocales(): ReadonlyMap<string, Locale> {
  if (!locales) {
    const folder = projectPath("views/locales");
    locales = new Map(
      readdirSync(folder)
        .filter((file) => file.endsWith(".json"))
        .map((file) => [
          file.replace(/\.json$/, ""),
          JSON.parse(readFileSync(`${folder}/${file}`, "utf8")) as Locale,
        ]),
    );
  }
  return locales;
}

/** `{name}` in a locale string: the value of `name`. */
const PLACEHOLDER = /\{(\w+)\}/g;

/** The placeholders a locale string uses, sorted. */
export function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ""))].sort();
}

/**
 * The text of `key` in `language`, or in English when that language has no such key (or is
 * unknown), with its placeholders filled. Values are HTML-escaped like `{{value}}` in a view
 * (unless `escapeValues` is false, for plain text), except SafeStrings (another helper's output, or
 * `raw`), which go in as they are. A key missing from English too, or a placeholder without a
 * value, is a bug in a view: it throws.
 */
export function translate(
  language: string | null | undefined,
  key: string,
  values: Record<string, unknown> = {},
  escapeValues = true,
): string {
  const text =
    allLocales().get(language ?? "")?.[key] ?? allLocales().get(FALLBACK_LANGUAGE)?.[key];
  if (text === undefined)
    throw new Error(`views/locales/${FALLBACK_LANGUAGE}.json has no "${key}"`);
  return text.replace(PLACEHOLDER, (_, name: string) => {
    if (!(name in values)) throw new Error(`"${key}" needs a value for {${name}}`);
    const value = values[name];
    return value instanceof Handlebars.SafeString || !escapeValues
      ? String(value ?? "")
      : Handlebars.escapeExpression(String(value ?? ""));
  });
}

/** What a stage is called in `language` (its id when no locale names it). */
export function stageName(stage: string, language?: string | null): string {
  return allLocales().get(FALLBACK_LANGUAGE)?.[`stage.${stage}`] === undefined
    ? stage
    : translate(language, `stage.${stage}`);
}

/** A CI message of the core (ci-view.ts) as plain text in `language` (English by default). */
export function ciText(message: CiMessage, language?: string | null): string {
  return translate(language, message.key, message.values, false);
}

/** What a gate is called in `language` (its id when no locale names it). */
function gateName(gate: string, language?: string | null): string {
  return allLocales().get(FALLBACK_LANGUAGE)?.[`gate.${gate}`] === undefined
    ? gate
    : translate(language, `gate.${gate}`);
}

/** The language a view is rendered in, from the render's `@language`. */
const languageOf = (options: Handlebars.HelperOptions): string | undefined =>
  options.data?.language;

const handlebars = Handlebars.create();
handlebars.registerHelper("eq", (a: unknown, b: unknown) => a === b);
handlebars.registerHelper("join", (items: unknown, separator: unknown) =>
  Array.isArray(items) ? items.join(typeof separator === "string" ? separator : ", ") : "",
);
handlebars.registerHelper("usd", (n: unknown) => `$${Number(n ?? 0).toFixed(4)}`);
handlebars.registerHelper("int", (n: unknown, options: Handlebars.HelperOptions) => {
  const language = languageOf(options);
  const locale = !language || language === FALLBACK_LANGUAGE ? "en-US" : language;
  return Number(n ?? 0).toLocaleString(locale);
});
// Locale strings are the app's own Markdown: `t` and the names are not escaped, their values are.
handlebars.registerHelper(
  "t",
  (key: unknown, options: Handlebars.HelperOptions) =>
    new Handlebars.SafeString(translate(languageOf(options), String(key), options.hash)),
);
handlebars.registerHelper(
  "stageName",
  (stage: unknown, options: Handlebars.HelperOptions) =>
    new Handlebars.SafeString(stageName(String(stage), languageOf(options))),
);
handlebars.registerHelper(
  "gateName",
  (gate: unknown, options: Handlebars.HelperOptions) =>
    new Handlebars.SafeString(gateName(String(gate), languageOf(options))),
);
handlebars.registerHelper(
  "ciText",
  (message: CiMessage, options: Handlebars.HelperOptions) =>
    new Handlebars.SafeString(translate(languageOf(options), message.key, message.values)),
);
/** A value that goes into a `t` string unescaped, as `{{{value}}}` would in a view. */
handlebars.registerHelper(
  "raw",
  (value: unknown) => new Handlebars.SafeString(String(value ?? "")),
);
handlebars.registerHelper("short", (sha: unknown) =>
  typeof sha === "string" ? sha.slice(0, 7) : "",
);

const cache = new Map<string, Handlebars.TemplateDelegate>();
let partialsLoaded = false;

function template(name: string): Handlebars.TemplateDelegate {
  let compiled = cache.get(name);
  if (!compiled) {
    if (!partialsLoaded) {
      for (const partial of ["ai-footer", "ci-rows"]) {
        handlebars.registerPartial(
          partial,
          readFileSync(projectPath("views/partials", `${partial}.hbs`), "utf8"),
        );
      }
      partialsLoaded = true;
    }
    const source = readFileSync(projectPath("views", `${name}.hbs`), "utf8");
    // strict: a template naming a field the caller did not pass is an error, not a blank.
    compiled = handlebars.compile(source, { strict: true, noEscape: false });
    cache.set(name, compiled);
  }
  return compiled;
}

/**
 * Renders `views/<name>.hbs`, e.g. `comments/help`, with its `t` strings in `language` (an
 * ISO 639-1 code; English for null or a language without a locale). Markdown bodies are not
 * HTML-escaped.
 */
export function renderMarkdown(
  name: string,
  data: Record<string, unknown>,
  language?: string | null,
): string {
  return template(name)(data, {
    allowProtoPropertiesByDefault: false,
    data: { language: language ?? FALLBACK_LANGUAGE },
  }).trim();
}

const CUT_NOTE = "\n\n_… truncated: the full text is on the feature's branch and dashboard._";

/** GitHub's limit for a check run's `output.summary` and `output.text`, counted in UTF-8 bytes. */
export const MAX_CHECK_OUTPUT_BYTES = 65_535;

/** The start of `text` up to `room` characters, ending at a line break in its second half. */
function cutAtLine(text: string, room: number): string {
  const cut = text.lastIndexOf("\n", room);
  return text.slice(0, cut > room / 2 ? cut : room);
}

/** Cuts a body to GitHub's limit at a line break, saying so, and keeps the hidden marker. */
export function fitComment(body: string, marker: string, limit = MAX_COMMENT_CHARS): string {
  const withMarker = body.includes(marker) ? body : `${marker}\n${body}`;
  if (withMarker.length <= limit) return withMarker;
  return cutAtLine(withMarker, limit - CUT_NOTE.length) + CUT_NOTE;
}

/**
 * Cuts check-run output to `limit` UTF-8 bytes (GitHub counts bytes, not characters: a review
 * in Japanese or full of emoji is otherwise refused), never inside a character, saying so.
 */
export function fitCheckOutput(text: string, limit = MAX_CHECK_OUTPUT_BYTES): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= limit) return text;
  let end = limit - Buffer.byteLength(CUT_NOTE, "utf8");
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1; // a continuation byte
  const head = bytes.subarray(0, end).toString("utf8");
  return cutAtLine(head, head.length) + CUT_NOTE;
}
