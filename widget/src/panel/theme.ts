/**
 * The panel follows the shop's own theme switch when it has one (`<html data-theme="dark">`
 * or a `dark` class on html/body); otherwise CSS falls back to prefers-color-scheme.
 */
export type Theme = "dark" | "light" | "auto";

export function pageTheme(doc: Document = document): Theme {
  for (const node of [doc.documentElement, doc.body]) {
    if (!node) continue;
    const attr = node.getAttribute("data-theme") || node.getAttribute("data-bs-theme");
    if (attr === "dark" || attr === "light") return attr;
    if (node.classList.contains("dark")) return "dark";
    if (node.classList.contains("light")) return "light";
  }
  return "auto";
}

export function watchTheme(apply: (t: Theme) => void, doc: Document = document): () => void {
  apply(pageTheme(doc));
  const observer = new MutationObserver(() => apply(pageTheme(doc)));
  const opts = { attributes: true, attributeFilter: ["class", "data-theme", "data-bs-theme"] };
  observer.observe(doc.documentElement, opts);
  if (doc.body) observer.observe(doc.body, opts);
  return () => observer.disconnect();
}
