import { readFileSync } from "node:fs";
import Handlebars from "handlebars";
import { projectPath } from "../project-root.ts";

const handlebars = Handlebars.create();
const compiled = new Map<string, Handlebars.TemplateDelegate>();

/** The shared preamble: static, so it is one cached prompt prefix for every agent. */
export const GOVERNANCE = readFileSync(projectPath("prompts/governance.md"), "utf8");

/** Renders `prompts/<file>` strictly: a missing variable is an error, not an empty string. */
export function renderPrompt(file: string, context: Record<string, unknown>): string {
  let template = compiled.get(file);
  if (!template) {
    template = handlebars.compile(readFileSync(projectPath("prompts", file), "utf8"), {
      strict: true,
    });
    compiled.set(file, template);
  }
  return template(context);
}

/** Untrusted text is fenced and cleaned in one place; re-exported for the prompt builders. */
export { fenceUntrusted } from "../core/untrusted.ts";
