// What the docs agent may write, on top of the path policy every agent's writes pass:
// documentation (Markdown and plain-text files, a CHANGELOG) anywhere but the app's own
// documents, and otherwise only the files the feature's code commits changed, for the doc
// comments of what the feature added. Each reason is written for the model that asked.

const DOC_EXTENSIONS = [".md", ".mdx", ".markdown", ".txt", ".rst", ".adoc"];
/** Documentation files kept without an extension. */
const DOC_NAMES = new Set(["changelog", "changes", "history", "news"]);

/** A Markdown or text documentation file, by its name. */
export function isDocumentationPath(path: string): boolean {
  const name = (path.split("/").at(-1) ?? "").toLowerCase();
  return DOC_EXTENSIONS.some((ext) => name.endsWith(ext)) || DOC_NAMES.has(name);
}

export interface DocsWriteScope {
  /** Files the feature's code commits changed: their doc comments may be written. */
  codePaths: Iterable<string>;
  /** Where the app keeps the brief, spec and plan of every feature (`docs_folder`). */
  pipelineFolder: string;
}

/** Why the docs agent may not write (or delete) `path`, or null when it may. */
export function docsWriteRefusal(scope: DocsWriteScope): (path: string) => string | null {
  const code = new Set(scope.codePaths);
  const folder = `${scope.pipelineFolder.replace(/\/+$/, "")}/`;
  return (path) => {
    if (path.startsWith(folder)) {
      return `"${path}" is under ${folder}, where the app keeps the approved brief, spec and plan: they are not edited here. Document the feature in the repository's own docs.`;
    }
    if (code.has(path) || isDocumentationPath(path)) return null;
    return `"${path}" is neither a documentation file (Markdown or text) nor a file this feature's code changed. You write docs, and doc comments only in the files the code commit changed; leave other files as they are.`;
  };
}
