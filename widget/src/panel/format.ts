import type { Card } from "../transport/types";

/** Product links and images come from shop data; only web URLs may become href/src. */
export function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url, location.href);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

export function formatPrice(card: Pick<Card, "price" | "currency">, loc: string): string {
  const amount = Number(card.price);
  if (card.currency && Number.isFinite(amount)) {
    try {
      return new Intl.NumberFormat(loc, { style: "currency", currency: card.currency }).format(amount);
    } catch {
      // Unknown currency code: fall through to the plain form.
    }
  }
  return [card.price, card.currency].filter(Boolean).join(" ");
}

/**
 * One letter of the shop's name: "Northwind Outfitters" → "N", "莲花生活馆" → "莲". Two
 * initials can spell a word ("NO") that reads as a message, so the avatar never shows two.
 */
export function initials(name: string): string {
  const first = Array.from(name.trim())[0];
  return first ? first.toUpperCase() : "?";
}

export function newClientMessageId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  // randomUUID needs a secure context; plain-http shops still get unique-enough ids.
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
