import { readdirSync, readFileSync } from "node:fs";
import Handlebars from "handlebars";
import { formatUsd } from "../../core/cost.ts";
import { projectPath } from "../../project-root.ts";

// Dashboard pages: handlebars with HTML escaping (`{{x}}` escapes; the templates never use
// `{{{x}}}`), strict (a field the page did not pass is an error, not a blank).
const handlebars = Handlebars.create();

handlebars.registerHelper("eq", (a: unknown, b: unknown) => a === b);
handlebars.registerHelper("usd", (n: unknown) =>
  formatUsd(n === null || n === undefined ? 0 : Number(n)),
);
handlebars.registerHelper("int", (n: unknown) => Number(n ?? 0).toLocaleString("en-US"));
handlebars.registerHelper("short", (sha: unknown) =>
  typeof sha === "string" ? sha.slice(0, 7) : "",
);
handlebars.registerHelper("pct", (n: unknown) => `${Math.round(Number(n ?? 0) * 100)}%`);
handlebars.registerHelper("seconds", (ms: unknown) => `${(Number(ms ?? 0) / 1000).toFixed(1)} s`);
handlebars.registerHelper("time", (value: unknown) => {
  const date = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(date.getTime())) return "";
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
});
handlebars.registerHelper("iso", (value: unknown) => {
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
});
handlebars.registerHelper("stageLabel", (stage: unknown) => String(stage ?? "").replace(/_/g, " "));

let loaded = false;
const cache = new Map<string, Handlebars.TemplateDelegate>();

function loadPartials(): void {
  if (loaded) return;
  const folder = projectPath("views/dashboard/partials");
  for (const file of readdirSync(folder)) {
    if (!file.endsWith(".hbs")) continue;
    handlebars.registerPartial(
      file.replace(/\.hbs$/, ""),
      readFileSync(projectPath("views/dashboard/partials", file), "utf8"),
    );
  }
  loaded = true;
}

/** Renders `views/dashboard/<name>.hbs` to HTML. */
export function renderPage(name: string, data: Record<string, unknown>): string {
  loadPartials();
  let compiled = cache.get(name);
  if (!compiled) {
    const source = readFileSync(projectPath("views/dashboard", `${name}.hbs`), "utf8");
    compiled = handlebars.compile(source, { strict: true });
    cache.set(name, compiled);
  }
  return compiled(data, { allowProtoPropertiesByDefault: false });
}
