import { readFileSync } from "node:fs";
import Handlebars from "handlebars";
import { projectPath } from "./project-root.ts";

/** GitHub refuses comment bodies over 65,536 characters; stay well below. */
export const MAX_COMMENT_CHARS = 60_000;

const handlebars = Handlebars.create();
handlebars.registerHelper("eq", (a: unknown, b: unknown) => a === b);
handlebars.registerHelper("join", (items: unknown, separator: unknown) =>
  Array.isArray(items) ? items.join(typeof separator === "string" ? separator : ", ") : "",
);
handlebars.registerHelper("usd", (n: unknown) => `$${Number(n ?? 0).toFixed(4)}`);
handlebars.registerHelper("int", (n: unknown) => Number(n ?? 0).toLocaleString("en-US"));
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

/** Renders `views/<name>.hbs`, e.g. `comments/help`. Markdown bodies are not HTML-escaped. */
export function renderMarkdown(name: string, data: Record<string, unknown>): string {
  return template(name)(data, { allowProtoPropertiesByDefault: false }).trim();
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
