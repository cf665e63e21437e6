import { githubStatusOf } from "../../errors.ts";

/** GitHub's error message with the messages of its `errors` items (422 details live there). */
function messageOf(error: unknown): string {
  const data = (error as { response?: { data?: unknown } }).response?.data as
    | { message?: string; errors?: ({ message?: string } | string)[] }
    | undefined;
  const parts = [data?.message ?? (error as { message?: string }).message ?? ""];
  for (const item of data?.errors ?? []) {
    parts.push(typeof item === "string" ? item : (item.message ?? ""));
  }
  return parts.join("\n");
}

/** A 422 whose message (or one of its `errors` items) contains `text`, case aside. */
export function is422(error: unknown, text: string): boolean {
  return (
    githubStatusOf(error) === 422 && messageOf(error).toLowerCase().includes(text.toLowerCase())
  );
}
