import type { FileChange } from "../../ports/github.ts";

/** What the docs step saved: the changed files and the agent's summary (its reason when none). */
export interface DocsChanges {
  changes: FileChange[];
  summary: string;
  /** The snapshot the docs agent read: the docs commit builds on it. */
  basedOn: string;
}

export function docsChanges(content: string): DocsChanges {
  return JSON.parse(content) as DocsChanges;
}
