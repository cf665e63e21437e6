// Model-written text made safe to post on GitHub. A model's words are shown, never acted on by
// GitHub's renderer on the model's behalf:
// - @user and @org/team mentions outside code are put in a code span: GitHub's mention filter
//   skips text inside `pre`, `code` and `a` (html-pipeline's MentionFilter, IGNORE_PARENTS;
//   https://github.com/gjtorikian/html-pipeline/blob/v2.14.3/lib/html/pipeline/mention_filter.rb),
//   so nobody is pinged and no team is notified by a model;
// - images and links to hosts other than this GitHub are shown as plain text (the URL in a code
//   span, which GitHub does not autolink): an image is fetched when the comment is viewed, so an
//   image URL can carry data away without anyone clicking;
// - raw HTML (tags and comments) is dropped: it can hide text from the reader or load images.
// Code spans and fenced code blocks are left exactly as written.

export interface NeutraliseOptions {
  /** The GitHub web URL the app serves (`https://github.com`); links to its host stay links. */
  githubWebUrl: string;
}

/** Text of the model, safe to embed in a comment, check run or PR body as markdown. */
export function neutralise(text: string, options: NeutraliseOptions): string {
  const host = hostOf(options.githubWebUrl);
  return splitCode(text)
    .map((part) => (part.code ? part.text : neutraliseProse(part.text, host)))
    .join("");
}

/** One line of a markdown table cell: neutralised, on one line, its pipes escaped. */
export function neutraliseCell(text: string, options: NeutraliseOptions): string {
  return neutralise(text.replace(/\s*[\r\n]+\s*/g, " "), options).replace(/(?<!\\)\|/g, "\\|");
}

/** A path shown as a link: the label a code span that cannot be broken out of, the URL encoded. */
export function markdownFileLink(path: string, baseUrl: string): string {
  const url = baseUrl + path.split("/").map(encodePathSegment).join("/");
  return `[${codeSpan(path)}](${url})`;
}

/** Every character that could end or confuse a markdown link destination is percent-encoded. */
export function encodePathSegment(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*~]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** `text` as one inline code span, with a fence longer than any backtick run inside it. */
export function codeSpan(text: string): string {
  const flat = text.replace(/[\r\n]+/g, " ");
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") || longest > 0 ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return "github.com";
  }
}

interface Part {
  text: string;
  code: boolean;
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;

/** Fenced code blocks and inline code spans (kept) and prose (neutralised), in order. */
function splitCode(text: string): Part[] {
  const parts: Part[] = [];
  const lines = text.split(/(?<=\n)/);
  let prose = "";
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? "";
    const open = FENCE_OPEN.exec(line);
    if (open === null) {
      prose += line;
      i++;
      continue;
    }
    const fence = open[1] ?? "```";
    const close = new RegExp(`^ {0,3}${fence[0] === "`" ? "`" : "~"}{${fence.length},}\\s*$`);
    let block = line;
    i++;
    // An unclosed fence runs to the end of the text, as GitHub renders it.
    while (i < lines.length) {
      const inner = lines[i] ?? "";
      block += inner;
      i++;
      if (close.test(inner.replace(/\n$/, ""))) break;
    }
    parts.push(...splitInline(prose), { text: block, code: true });
    prose = "";
  }
  parts.push(...splitInline(prose));
  return parts;
}

/** Inline code spans: a run of backticks closed by a run of the same length. */
function splitInline(text: string): Part[] {
  if (text === "") return [];
  const parts: Part[] = [];
  let from = 0;
  let at = 0;
  while (at < text.length) {
    const open = /`+/g;
    open.lastIndex = at;
    const m = open.exec(text);
    if (m === null) break;
    const closing = new RegExp(`(?<!\`)${"`".repeat(m[0].length)}(?!\`)`, "g");
    closing.lastIndex = m.index + m[0].length;
    const end = closing.exec(text);
    if (end === null) {
      at = m.index + m[0].length;
      continue;
    }
    if (m.index > from) parts.push({ text: text.slice(from, m.index), code: false });
    parts.push({ text: text.slice(m.index, end.index + end[0].length), code: true });
    from = end.index + end[0].length;
    at = from;
  }
  if (from < text.length) parts.push({ text: text.slice(from), code: false });
  return parts;
}

const HTML_COMMENT = /<!--[\s\S]*?(?:-->|$)/g;
const AUTOLINK = /<((?:https?|ftp|mailto):[^\s<>]*)>/gi;
const HTML_TAG = /<\/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?\/?>|<![A-Za-z][^<>]*>|<\?[\s\S]*?\?>/g;
/** `![alt](url "title")` and `[text](url "title")`, with one level of brackets inside. */
const INLINE_LINK =
  /(!?)\[((?:[^[\]]|\[[^[\]]*\])*)\]\(\s*<?([^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?(?:\s+(?:"[^"]*"|'[^']*'|\([^()]*\)))?\s*\)/g;
/** `[label]: url` reference definitions. */
const REFERENCE_DEFINITION = /^( {0,3}\[[^\]]+\]:\s*)<?(\S+?)>?(?=\s|$)/gm;
const BARE_URL = /\b(?:https?:\/\/|www\.)[^\s<>`]+/gi;
/** GitHub's mention pattern: `@login` or `@org/team`, not inside a word or an email address. */
const MENTION =
  /(^|[^\w`@/.-])@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\/[A-Za-z0-9][\w-]*)?)/g;

function neutraliseProse(text: string, host: string): string {
  const kept: string[] = [];
  // Code spans made here are set aside (behind a private-use character) so that later steps
  // leave them alone.
  const hold = (markdown: string) => `\uE000${kept.push(markdown) - 1}\uE000`;
  const plainUrl = (url: string) => hold(codeSpan(url));

  let out = text
    .replace(/\uE000/g, "")
    // `&#64;`, `&commat;` and `\@` all render as a plain `@`, which GitHub would read as a mention.
    .replace(/&(?:#0*64|#x0*40|commat);/gi, "@")
    .replace(/\\+@/g, "@");
  out = out.replace(HTML_COMMENT, "");
  out = out.replace(AUTOLINK, (whole, url: string) =>
    isOwnHost(url, host) ? whole : plainUrl(url),
  );
  out = out.replace(HTML_TAG, "");
  out = out.replace(INLINE_LINK, (whole, bang: string, label: string, url: string) => {
    if (isOwnHost(url, host)) return whole;
    const words = label.trim();
    if (bang) return `${words ? `${words} ` : ""}(image: ${plainUrl(url)})`;
    return `${words} (${plainUrl(url)})`;
  });
  out = out.replace(REFERENCE_DEFINITION, (whole, lead: string, url: string) =>
    isOwnHost(url, host) ? whole : `${lead.replace(/\[/, "\\[")}${plainUrl(url)}`,
  );
  out = out.replace(BARE_URL, (url) => {
    const bare = trimUrl(url);
    return isOwnHost(bare, host) ? url : plainUrl(bare) + url.slice(bare.length);
  });
  out = out.replace(
    MENTION,
    (_whole, before: string, name: string) => `${before}${hold(codeSpan(`@${name}`))}`,
  );
  return out.replace(/\uE000(\d+)\uE000/g, (_whole, i: string) => kept[Number(i)] ?? "");
}

/** Trailing punctuation is not part of a bare URL (GitHub's autolink rule). */
function trimUrl(url: string): string {
  return url.replace(/[.,:;!?'")\]]+$/, "");
}

/** Relative links and anchors stay; absolute ones only to this GitHub's host. */
function isOwnHost(url: string, host: string): boolean {
  if (url === "" || url.startsWith("#")) return true;
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith("//") || /^www\./i.test(url)) {
    try {
      const parsed = new URL(url.startsWith("www.") ? `https://${url}` : url, "https://invalid");
      return parsed.protocol === "https:" && parsed.host.toLowerCase() === host;
    } catch {
      return false;
    }
  }
  return !url.includes(":");
}
