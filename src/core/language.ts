/**
 * The ISO 639-1 code in what the BA reports as the issue author's language (`es`, `ES`,
 * `es-MX` or `pt_BR` give `es`, `es`, `es`, `pt`), or null when it names no such code.
 */
export function languageCode(reported: string | null | undefined): string | null {
  const primary = (reported ?? "").trim().toLowerCase().split(/[-_]/)[0] ?? "";
  return /^[a-z]{2}$/.test(primary) ? primary : null;
}
