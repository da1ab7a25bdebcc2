import type { ChipAction, QuickReply } from "./types";

/** Chips as the server sends them: strings, or `{label, action}` objects (kept verbatim). */
export function toQuickReplies(options: unknown[]): QuickReply[] {
  const out: QuickReply[] = [];
  for (const o of options) {
    if (typeof o === "string") out.push(o);
    else if (o && typeof o === "object" && typeof (o as { label?: unknown }).label === "string") {
      const { label, action } = o as { label: string; action?: unknown };
      const ok = action && typeof action === "object" && typeof (action as { type?: unknown }).type === "string";
      out.push(ok ? { label, action: action as ChipAction } : label);
    }
  }
  return out;
}

/** The words a chip shows (and the shopper's bubble repeats). */
export const chipLabel = (q: QuickReply): string => (typeof q === "string" ? q : q.label);
