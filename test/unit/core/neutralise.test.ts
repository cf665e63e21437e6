import { describe, expect, it } from "vitest";
import { codeSpan, markdownFileLink, neutralise } from "../../../src/core/neutralise.ts";

const n = (text: string) => neutralise(text, { githubWebUrl: "https://github.com" });

describe("neutralise", () => {
  it.each([
    ["Thanks @alice, see @org/everyone.", "Thanks `@alice`, see `@org/everyone`."],
    ["(@bob)", "(`@bob`)"],
    ["mail me at a@b.com", "mail me at a@b.com"],
    ["already `@carol` in code", "already `@carol` in code"],
  ])("defuses mentions outside code: %s", (text, expected) => {
    expect(n(text)).toBe(expected);
  });

  it("leaves fenced code blocks as written", () => {
    const text = "Before @x\n```js\n@decorator <b> ![i](https://evil.test/a.png)\n```\nafter";
    expect(n(text)).toBe(
      "Before `@x`\n```js\n@decorator <b> ![i](https://evil.test/a.png)\n```\nafter",
    );
  });

  it("shows images and links to other hosts as plain text", () => {
    expect(n("![logo](https://evil.test/p.png?d=secret)")).toBe(
      "logo (image: `https://evil.test/p.png?d=secret`)",
    );
    expect(n("[docs](http://evil.test/x)")).toBe("docs (`http://evil.test/x`)");
    expect(n("see https://evil.test/a?b=c.")).toBe("see `https://evil.test/a?b=c`.");
    expect(n("<https://evil.test/a>")).toBe("`https://evil.test/a`");
    expect(n("[x]: https://evil.test/y")).toBe("\\[x]: `https://evil.test/y`");
  });

  it("keeps links and images to this GitHub and relative ones", () => {
    for (const text of [
      "[pr](https://github.com/o/r/pull/1)",
      "![shot](https://github.com/user-attachments/assets/1)",
      "[spec](docs/spec.md)",
      "see https://github.com/o/r",
    ]) {
      expect(n(text)).toBe(text);
    }
  });

  it("drops raw HTML and HTML comments", () => {
    expect(
      n('a <img src="https://evil.test/x.png"> b <!-- hidden --> c <details>d</details>'),
    ).toBe("a  b  c d");
    expect(n("x < y > z")).toBe("x < y > z");
  });

  it("a code span with backticks inside cannot be closed early", () => {
    expect(codeSpan("a`b")).toBe("`` a`b ``");
    expect(codeSpan("plain")).toBe("`plain`");
  });

  it("a path with ) or ] stays inside its link", () => {
    const link = markdownFileLink(
      "src/a)](https://evil.test)/x y.ts",
      "https://github.com/o/r/blob/b/",
    );
    expect(link).toBe(
      "[`src/a)](https://evil.test)/x y.ts`](https://github.com/o/r/blob/b/src/a%29%5D%28https%3A//evil.test%29/x%20y.ts)",
    );
  });
});
