import { describe, expect, it } from "vitest";
import { languageCode } from "../../../src/core/language.ts";

describe("languageCode", () => {
  it.each([
    ["es", "es"],
    ["ES", "es"],
    [" es-MX ", "es"],
    ["pt_BR", "pt"],
    ["zh-Hans", "zh"],
  ])("reads %j as %j", (reported, code) => {
    expect(languageCode(reported)).toBe(code);
  });

  it.each([["Spanish"], ["e"], [""], [null], [undefined], ["123"]])(
    "finds no ISO 639-1 code in %j",
    (reported) => {
      expect(languageCode(reported)).toBeNull();
    },
  );
});
