/** Turns one message into DOM. Pure: the controller decides when to call it. */
import type { Card } from "../transport/types";
import type { ViewMessage } from "./conversation";
import { el } from "./dom";
import { appendRichText, formatPrice, safeUrl } from "./format";
import type { Texts } from "./i18n";

export interface MessageActions {
  retry(m: ViewMessage): void;
  choose(option: string): void;
}

export interface RenderOptions {
  t: Texts;
  locale: string;
  /** Only the newest assistant message offers its quick replies. */
  showChips: boolean;
  /** Business hours for the default hand-off notice. */
  hours?: string;
}

export function renderCard(card: Card, t: Texts, loc: string): HTMLElement {
  const href = safeUrl(card.url);
  const img = safeUrl(card.imageUrl);
  const stock = Number(card.stock);
  const stockText = !card.inStock
    ? t.outOfStock
    : Number.isFinite(stock) && stock > 0 && stock <= 5
      ? t.fewLeft(stock)
      : t.inStock;
  const body = el(
    "div",
    { class: "cb" },
    el("span", { class: "cn" }, card.name),
    el(
      "span",
      { class: "cm" },
      el("b", {}, formatPrice(card, loc)),
      el("span", { "aria-hidden": "true" }, "·"),
      el("span", { class: card.inStock ? "in" : "out" }, stockText),
    ),
  );
  const media = img ? el("img", { src: img, alt: "", loading: "lazy", decoding: "async" }) : el("div", { class: "ph" });
  return href
    ? el("a", { class: "card", href, "data-sku": card.sku }, media, body)
    : el("div", { class: "card", "data-sku": card.sku }, media, body);
}

export function renderMessage(m: ViewMessage, opts: RenderOptions, actions: MessageActions): HTMLElement {
  const { t } = opts;
  const mine = m.role === "shopper";
  const cls = ["m", mine ? "me" : m.role === "system" ? "sys" : "them"];
  if (mine && m.local && !m.sendError) cls.push("pending");
  const root = el("div", { class: cls.join(" "), "data-id": m.id, "data-role": m.role });

  if (m.role === "staff") root.append(el("span", { class: "who" }, t.staff));

  const live = m.status === "pending" || m.status === "streaming";
  const bubble = el("div", { class: "bub" });
  if (m.role === "assistant" && live && !m.text) {
    bubble.append(
      el("span", { class: "dots", "aria-hidden": "true" }, el("i"), el("i"), el("i")),
      el("span", { class: "sr" }, t.thinking),
    );
    root.append(bubble);
  } else if (m.text) {
    appendRichText(bubble, m.text);
    if (m.role === "assistant" && live) bubble.classList.add("caret");
    root.append(bubble);
  }

  if (mine && m.local && !m.sendError) root.append(el("span", { class: "st" }, t.sending));

  if (m.products.length) {
    const cards = el("div", { class: "cards", role: "list", "aria-label": t.products });
    for (const card of m.products) {
      const item = renderCard(card, t, opts.locale);
      item.setAttribute("role", "listitem");
      cards.append(item);
    }
    root.append(cards);
  }

  if (opts.showChips && m.quickReplies.length) {
    const chips = el("div", { class: "chips", role: "group", "aria-label": t.suggestions });
    for (const option of m.quickReplies) {
      chips.append(el("button", { type: "button", class: "chip", onclick: () => actions.choose(option) }, option));
    }
    root.append(chips);
  }

  if (m.handoff) {
    const notice = m.handoffNotice || (opts.hours ? `${t.handoff} ${t.hours(opts.hours)}` : t.handoff);
    root.append(el("div", { class: "note", role: "note" }, notice));
  }

  if (m.status === "stopped") root.append(el("span", { class: "st" }, t.stopped));

  const failedSend = mine && m.sendError;
  const failedReply = m.role === "assistant" && (m.status === "failed" || m.status === "interrupted");
  if (failedSend || failedReply) {
    const why = failedSend ? m.sendError || t.notSent : m.status === "interrupted" ? t.interrupted : t.replyFailed;
    const err = el("div", { class: "err", role: "alert" }, why);
    if (failedSend || m.retryable !== false) {
      err.append(el("button", { type: "button", class: "link", onclick: () => actions.retry(m) }, t.retry));
    }
    root.append(err);
  }
  return root;
}
