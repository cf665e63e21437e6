/** `Add a /health endpoint!` → `add-a-health-endpoint`: for branch and folder names. */
export function slugify(title: string, maxLength = 40): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  const cut = slug.slice(0, maxLength).replace(/-+$/g, "");
  return cut || "feature";
}
