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

/** Where a prompt's shared documents end: the request caches everything before it. */
export const DOCUMENTS_END = "<!-- end of shared documents -->";

/**
 * The rendered prompt as content blocks: the shared documents (brief, spec, plan, tests,
 * repository overview), which stay the same across retries and rounds, and then the agent's
 * instructions and this call's own inputs. The request puts a cache breakpoint after the first.
 */
export function promptBlocks(
  file: string,
  context: Record<string, unknown>,
): { type: "text"; text: string }[] {
  const text = renderPrompt(file, context);
  const at = text.indexOf(DOCUMENTS_END);
  if (at === -1) return [{ type: "text", text }];
  const documents = text.slice(0, at).trimEnd();
  const rest = text.slice(at + DOCUMENTS_END.length).trimStart();
  return [documents, rest].filter((t) => t !== "").map((t) => ({ type: "text", text: t }));
}

/** Untrusted text is fenced and cleaned in one place; re-exported for the prompt builders. */
export { fenceUntrusted } from "../core/untrusted.ts";
