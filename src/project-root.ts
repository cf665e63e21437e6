import { resolve } from "node:path";

// This file sits one level below the project root both in src/ and in the compiled dist/.
const root = resolve(import.meta.dirname, "..");

/** An absolute path to a project file such as `prompts/ba.md` or `views/comments`. */
export function projectPath(...segments: string[]): string {
  return resolve(root, ...segments);
}
