// The syntax check after each edit: JavaScript and TypeScript (with JSX) through oxc's parser,
// JSON through JSON.parse, YAML through the `yaml` package. Other files are not checked. The
// problems come back to the model as its tool result, with the line they are on.

import { parseSync } from "oxc-parser";
import { parseAllDocuments } from "yaml";

const SCRIPT = /\.([cm]?[jt]sx?)$/;
/** JSON files that allow comments (editors' and TypeScript's configuration). */
const JSONC = /(^|\/)(tsconfig[^/]*|jsconfig[^/]*|\.vscode\/[^/]+)\.json$|\.jsonc$/;
const MAX_PROBLEMS = 5;

/** The file's syntax problems, one line each, or [] when it parses (or is not checked). */
export function syntaxProblems(path: string, content: string): string[] {
  if (SCRIPT.test(path)) return scriptProblems(path, content);
  if (path.endsWith(".json") && !JSONC.test(path)) return jsonProblems(content);
  if (/\.ya?ml$/.test(path)) return yamlProblems(content);
  return [];
}

/** Whether `syntaxProblems` checks files like `path`. */
export const isChecked = (path: string) => SCRIPT.test(path) || /\.(json|ya?ml)$/.test(path);

function scriptProblems(path: string, content: string): string[] {
  const result = parseSync(path, content);
  return result.errors.slice(0, MAX_PROBLEMS).map((error) => {
    const start = error.labels[0]?.start;
    return start === undefined
      ? error.message
      : `${position(content, start)}: ${error.message}${lineAt(content, start)}`;
  });
}

function jsonProblems(content: string): string[] {
  try {
    JSON.parse(content);
    return [];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = /position (\d+)/.exec(message);
    return [at ? `${position(content, Number(at[1]))}: ${message}` : message];
  }
}

function yamlProblems(content: string): string[] {
  return parseAllDocuments(content)
    .flatMap((doc) => ("errors" in doc ? doc.errors : []))
    .slice(0, MAX_PROBLEMS)
    .map((error) => error.message.split("\n")[0] ?? error.message);
}

/** "line L, column C" of a character offset (1-based). */
function position(content: string, offset: number): string {
  const before = content.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line}, column ${column}`;
}

function lineAt(content: string, offset: number): string {
  const from = content.lastIndexOf("\n", offset - 1) + 1;
  const to = content.indexOf("\n", offset);
  const line = content.slice(from, to === -1 ? undefined : to);
  return line.trim() === "" ? "" : `\n    ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`;
}
