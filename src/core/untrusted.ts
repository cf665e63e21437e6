// What the model reads is what people see. Text from GitHub users (issues, comments, `/revise`
// text, files, file lists) reaches a prompt only through `fenceUntrusted`: markup that GitHub
// renders as nothing (HTML comments, link titles shown only on hover, link reference
// definitions nobody links to, title attributes) is removed, invisible characters go, and the
// text is fenced as data. Pure: no I/O.

import { stripInvisible } from "./commands.ts";

/** How the text is shown to people: rendered markdown, or code (a diff, a source file). */
export type UntrustedKind = "markdown" | "code";

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})/;
/** `[label]: destination "title"` on its own line (CommonMark link reference definition). */
const REFERENCE_DEFINITION =
  /^ {0,3}\[((?:[^\]\\]|\\.){1,999})\]:[ \t]*(<[^>\n]*>|\S+)(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^)\n]*\)))?[ \t]*$/;
/** An inline link or image's destination with a title: `](url "title")`. */
const INLINE_TITLE = /\]\(\s*(<[^>\n]*>|[^\s)]+)\s+(?:"[^"]*"|'[^']*'|\([^)]*\))\s*\)/g;
/** `title="…"` and similar hover-only attributes inside HTML tags. */
const HIDDEN_ATTRIBUTE =
  /\s(?:title|alt|aria-label|data-[\w-]+)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)/gi;
const HTML_TAG = /<[A-Za-z][^<>]*>/g;
/** Stands for a code span while the markup around it is cleaned (a private-use character). */
const SPAN = "\uE000";
const SPAN_MARK = /\uE000(\d+)\uE000/g;
/** Tags whose content GitHub does not show. */
const HIDDEN_ELEMENT = /<(template|style|script)\b[^>]*>[\s\S]*?(?:<\/\1\s*>|$)/gi;

/**
 * The text a person sees when GitHub renders `markdown`, as markdown: hidden markup is
 * removed; code blocks and code spans, which GitHub shows literally, are kept as they are.
 */
export function visibleMarkdown(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, "\n").split("\n");
  const out: string[] = [];
  let prose: string[] = [];
  let fence: string | null = null;
  const flush = () => {
    if (prose.length > 0) out.push(visibleProse(prose.join("\n"), markdown));
    prose = [];
  };
  for (const line of lines) {
    const opener = FENCE_LINE.exec(line)?.[1];
    if (fence === null && opener) {
      flush();
      fence = opener;
      out.push(line);
    } else if (fence !== null) {
      out.push(line);
      if (opener && opener[0] === fence[0] && opener.length >= fence.length) fence = null;
    } else {
      prose.push(line);
    }
  }
  flush();
  return out.join("\n");
}

function visibleProse(text: string, whole: string): string {
  // Code spans are shown literally: set them aside while the markup around them is cleaned.
  const spans: string[] = [];
  let clean = text.replaceAll(SPAN, "").replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g, (span) => {
    spans.push(span);
    return `${SPAN}${spans.length - 1}${SPAN}`;
  });
  // An unclosed comment hides everything after it.
  clean = clean.replace(/<!--[\s\S]*?(?:-->|$)/g, "");
  clean = clean.replace(HIDDEN_ELEMENT, "");
  clean = clean.replace(INLINE_TITLE, "]($1)");
  clean = clean.replace(HTML_TAG, (tag) => tag.replace(HIDDEN_ATTRIBUTE, ""));
  clean = clean
    .split("\n")
    .flatMap((line) => {
      const definition = REFERENCE_DEFINITION.exec(line);
      if (!definition) return [line];
      const label = (definition[1] ?? "").toLowerCase();
      // A definition renders as nothing; only one that a link uses says anything (its target).
      return referenced(whole, label) ? [`[${definition[1]}]: ${definition[2]}`] : [];
    })
    .join("\n");
  return clean.replace(SPAN_MARK, (_, i: string) => spans[Number(i)] ?? "");
}

/** Whether `[label]` is used as a link or image reference outside its own definition. */
function referenced(text: string, label: string): boolean {
  const lower = text.toLowerCase();
  let from = 0;
  for (;;) {
    const at = lower.indexOf(`[${label}]`, from);
    if (at < 0) return false;
    const after = lower.slice(at + label.length + 2);
    if (!after.startsWith(":")) return true;
    from = at + 1;
  }
}

/**
 * Wraps text from GitHub users as data: hidden markup (for markdown) and invisible or
 * direction-changing characters are removed (also Unicode tag characters, which spell text no
 * person sees but a model reads), a closing tag inside cannot end the fence early, and the
 * length is bounded.
 */
export function fenceUntrusted(
  source: string,
  text: string,
  maxChars = 20_000,
  kind: UntrustedKind = "markdown",
): string {
  const visible = kind === "markdown" ? visibleMarkdown(text) : text;
  let clean = stripInvisible(visible).replace(/<\/?untrusted/gi, "<\u2024untrusted");
  if (clean.length > maxChars) {
    clean = `${clean.slice(0, maxChars)}\n[… ${clean.length - maxChars} more characters not shown]`;
  }
  const label = stripInvisible(source).replace(/["<>\n]/g, "'");
  return `<untrusted source="${label}">\n${clean}\n</untrusted>`;
}
