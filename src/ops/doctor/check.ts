// What each check of `npm run doctor` returns, and the small helpers they share.

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about a ✗. */
  fix?: string;
}

export type Env = Record<string, string | undefined>;

export const pass = (name: string, detail: string): Check => ({ name, ok: true, detail });
export const fail = (name: string, detail: string, fix: string): Check => ({
  name,
  ok: false,
  detail,
  fix,
});
export const reasonOf = (error: unknown) =>
  error instanceof Error ? error.message : String(error);

/** Where a URL points, without its credentials. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "(not a URL)";
  }
}
