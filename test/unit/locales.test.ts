// The view strings of every language: the same keys and placeholders as English, the same
// commands, paths and code (untranslated) and the same Markdown emphasis; English wherever a
// language or a key is missing.

import { describe, expect, it } from "vitest";
import { ciRows } from "../../src/core/ci-view.ts";
import { GATES, STAGES } from "../../src/core/feature.ts";
import {
  allLocales,
  ciText,
  FALLBACK_LANGUAGE,
  placeholdersOf,
  renderMarkdown,
  stageName,
  translate,
} from "../../src/views.ts";

const english = allLocales().get(FALLBACK_LANGUAGE) ?? {};
const others = [...allLocales()].filter(([code]) => code !== FALLBACK_LANGUAGE);

/** Inline code spans, sorted: commands, ids and paths that no translation may change. */
const codeSpans = (text: string) => [...text.matchAll(/`[^`]*`/g)].map((m) => m[0]).sort();
const boldMarks = (text: string) => text.split("**").length - 1;

/** One line per key whose `measure` differs from English, for a failure that says which. */
function differences(locale: Record<string, string>, measure: (text: string) => unknown) {
  return Object.keys(english)
    .filter((key) => key in locale)
    .filter(
      (key) =>
        JSON.stringify(measure(locale[key] ?? "")) !== JSON.stringify(measure(english[key] ?? "")),
    )
    .map(
      (key) =>
        `${key}: ${JSON.stringify(measure(locale[key] ?? ""))} instead of ${JSON.stringify(measure(english[key] ?? ""))}`,
    );
}

describe("locales", () => {
  it("has English and the translations the app ships", () => {
    expect([...allLocales().keys()].sort()).toEqual(["de", "en", "es", "fr", "ja", "zh"]);
  });

  it("names every stage and every gate in English", () => {
    const missing = [
      ...STAGES.map((s) => `stage.${s}`),
      ...GATES.map((g) => `gate.${g}`),
      "gate.protected",
    ].filter((key) => !(key in english));
    expect(missing, `keys missing from views/locales/en.json:\n${missing.join("\n")}`).toEqual([]);
  });

  describe.each(others)("%s", (code, locale) => {
    it("has exactly the keys of English", () => {
      const missing = Object.keys(english).filter((key) => !(key in locale));
      const extra = Object.keys(locale).filter((key) => !(key in english));
      expect(
        missing,
        `keys of en.json missing from views/locales/${code}.json:\n${missing.join("\n")}`,
      ).toEqual([]);
      expect(
        extra,
        `keys of views/locales/${code}.json that en.json does not have:\n${extra.join("\n")}`,
      ).toEqual([]);
    });

    it("uses the same placeholders as English in every string", () => {
      const wrong = differences(locale, placeholdersOf);
      expect(wrong, `placeholders that differ in ${code}.json:\n${wrong.join("\n")}`).toEqual([]);
    });

    it("keeps commands, ids and paths untranslated and the Markdown emphasis identical", () => {
      const code_ = differences(locale, codeSpans);
      const bold = differences(locale, boldMarks);
      expect(code_, `code spans that differ in ${code}.json:\n${code_.join("\n")}`).toEqual([]);
      expect(bold, `** marks that differ in ${code}.json:\n${bold.join("\n")}`).toEqual([]);
    });
  });
});

describe("rendering in a language", () => {
  const refusal = {
    command: "approve",
    needed: "write",
    actor: "bob",
    permission: "read",
    verified: true,
  };

  it.each([
    ["an unknown language", "xx"],
    ["no language", null],
    ["undefined", undefined],
  ])("%s renders English, exactly as without one", (_name, language) => {
    const english = renderMarkdown("comments/unauthorized", refusal);
    expect(renderMarkdown("comments/unauthorized", refusal, language)).toBe(english);
    expect(english).toContain("`/approve` needs **write** access to this repository");
  });

  it("renders a known language, values escaped as in any view", () => {
    const body = renderMarkdown(
      "comments/failed",
      {
        agent: "",
        reason: "x",
        stage: "implementing",
        retry: true,
      },
      "es",
    );
    expect(body).toContain("La funcionalidad se detuvo en **Implementando**:");
    expect(body).toContain("`/retry`");
    expect(body).toContain("Escrito por un agente de IA de Build Practical");
    expect(translate("es", "no_feature", { command: "<b>" })).toContain("`/&lt;b&gt;`");
  });

  it("falls back to English key by key when a language lacks one", () => {
    const es = allLocales().get("es") as Record<string, string>;
    const saved = es.footer;
    delete es.footer;
    try {
      const body = renderMarkdown("comments/retrying", { stage: "implementing" }, "es");
      expect(body).toContain("🔁 Reanudando en **Implementando**.");
      expect(body).toContain("Written by an AI agent of Build Practical.");
    } finally {
      es.footer = saved as string;
    }
  });

  it("says what CI made of a commit in the language, from the core's message and values", () => {
    const [tests, code] = ciRows(
      [
        {
          sha: "abc1234567",
          stage: "tests",
          state: "failure",
          checks: [{ name: "test", state: "failure", url: null }],
        },
        { sha: "bcd2345678", stage: "code", state: "none", checks: [] },
      ],
      10,
    );
    if (!tests || !code) throw new Error("two rows expected");
    expect(ciText(tests.text)).toBe(
      "CI ran the contract tests: 1 failing check (test) — as expected before the code.",
    );
    expect(ciText(code.text, "es")).toBe(
      "ninguna CI informó en 10 minutos: listo solo con las revisiones",
    );
    expect(ciText(tests.label, "de")).toBe("Vertragstests");
  });

  it("names a stage without a locale entry by its id", () => {
    expect(stageName("implementing", "de")).toBe("Implementierung");
    expect(stageName("not_a_stage", "de")).toBe("not_a_stage");
  });

  it("refuses a key English does not have, and a placeholder without a value", () => {
    expect(() => translate("es", "no.such.key")).toThrow(/en\.json has no "no\.such\.key"/);
    expect(() => translate("es", "retrying")).toThrow(/needs a value for \{stage\}/);
  });
});
