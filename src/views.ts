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
      for (const partial of ["ai-footer"]) {
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

/** Cuts a body to GitHub's limit at a line break, saying so, and keeps the hidden marker. */
export function fitComment(body: string, marker: string, limit = MAX_COMMENT_CHARS): string {
  const withMarker = body.includes(marker) ? body : `${marker}\n${body}`;
  if (withMarker.length <= limit) return withMarker;
  const note = "\n\n_… truncated: the full text is on the feature's branch and dashboard._";
  const room = limit - note.length;
  const cut = withMarker.lastIndexOf("\n", room);
  return withMarker.slice(0, cut > room / 2 ? cut : room) + note;
}
