/** Turns one message into DOM. Pure: the controller decides when to call it. */
import { chipLabel } from "../transport/chips";
import type { Card, QuickReply } from "../transport/types";
import type { ViewMessage } from "./conversation";
import { el } from "./dom";
import { formatPrice, safeUrl } from "./format";
import type { Texts } from "./i18n";
import { renderMarkdown } from "./markdown";

export interface MessageActions {
  retry(m: ViewMessage): void;
  choose(option: QuickReply): void;
  /** Stop an unfinished reply (offered when it has gone quiet for too long). */
  stop?(m: ViewMessage): void;
  /** Outside business hours: the shopper leaves an email address for the answer. */
  leaveEmail?(email: string): Promise<void>;
}

export interface RenderOptions {
  t: Texts;
  locale: string;
  /** Only the newest assistant message offers its quick replies. */
  showChips: boolean;
  /** Business hours for the default hand-off notice. */
  hours?: string;
  /** The address the shopper already left (the email form then says so instead). */
  contactEmail?: string;
}

/** The form under an "away" notice: the answer goes to this address. */
function renderAwayForm(t: Texts, actions: MessageActions): HTMLElement {
  const input = el("input", {
    type: "email",
    required: "",
    autocomplete: "email",
    placeholder: t.emailPlaceholder,
    "aria-label": t.emailLabel,
    maxlength: "254",
  });
  const status = el("span", { class: "st", role: "status" });
  const form = el(
    "form",
    {
      class: "away",
      // Our own message, in the page's language, rather than the browser's bubble.
      novalidate: "",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const email = input.value.trim();
        if (!email || !input.checkValidity()) {
          status.textContent = t.emailInvalid;
          return;
        }
        status.textContent = "";
        actions.leaveEmail?.(email).catch(() => {
          status.textContent = t.emailFailed;
        });
      },
    },
    input,
    el("button", { type: "submit" }, t.emailSend),
    status,
  );
  return form;
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
  // The product's own picture when the shop has one; else its first letter on a tint that
  // follows the theme (a light gradient glared in dark mode).
  const placeholder = () => el("div", { class: "ph", "aria-hidden": "true" }, Array.from(card.name.trim())[0] || "");
  let media: HTMLElement;
  if (img) {
    const pic = el("img", { src: img, alt: "", loading: "lazy", decoding: "async" });
    pic.onerror = () => pic.replaceWith(placeholder());
    media = pic;
  } else media = placeholder();
  return href
    ? el("a", { class: "card", href, "data-sku": card.sku }, media, body)
    : el("div", { class: "card", "data-sku": card.sku }, media, body);
}

/**
 * The row of product cards scrolls sideways. While more cards are hidden to the right, the
 * row fades out at its edge and a round "more" button (one card further per press; a
 * keyboard user can also Tab through the cards) says so.
 */
export function renderCards(products: Card[], t: Texts, loc: string): HTMLElement {
  const row = el("div", { class: "cards", role: "list", "aria-label": t.products });
  for (const card of products) {
    const item = renderCard(card, t, loc);
    item.setAttribute("role", "listitem");
    row.append(item);
  }
  const more = el(
    "button",
    {
      type: "button",
      class: "more",
      "aria-label": t.moreProducts,
      hidden: true,
      onclick: () => row.scrollBy({ left: 174, behavior: "smooth" }),
    },
    "›",
  );
  const wrap = el("div", { class: "cw" }, row, more);
  const update = () => {
    const hiddenRight = row.scrollWidth - row.clientWidth - row.scrollLeft > 4;
    more.hidden = !hiddenRight;
    wrap.classList.toggle("fade", hiddenRight);
  };
  row.addEventListener("scroll", update, { passive: true });
  // Sizes are known only once the row is in the (visible) panel: watch them.
  if (typeof ResizeObserver === "function") new ResizeObserver(update).observe(row);
  return wrap;
}

/** The innermost last block of a bubble: the streaming caret sits at the end of its text. */
function tailOf(bubble: HTMLElement): HTMLElement {
  let node = bubble;
  for (let last = node.lastElementChild; last && /^(P|UL|OL|LI|BLOCKQUOTE|PRE)$/.test(last.tagName); ) {
    node = last as HTMLElement;
    last = node.lastElementChild;
  }
  return node;
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
    const streaming = m.role === "assistant" && live;
    if (m.role === "assistant" || m.role === "staff") {
      // Models (and staff) write Markdown; the shopper's own words stay exactly as typed.
      bubble.classList.add("md");
      renderMarkdown(bubble, m.text, streaming);
    } else bubble.textContent = m.text;
    if (streaming) {
      bubble.classList.add("caret");
      tailOf(bubble).classList.add("tail");
    }
    root.append(bubble);
  }

  if (mine && m.local && !m.sendError) root.append(el("span", { class: "st" }, t.sending));

  if (m.products.length) root.append(renderCards(m.products, t, opts.locale));

  if (opts.showChips && m.quickReplies.length) {
    const chips = el("div", { class: "chips", role: "group", "aria-label": t.suggestions });
    for (const option of m.quickReplies) {
      const label = chipLabel(option);
      if (!label) continue;
      const attrs = typeof option === "string" || !option.action ? {} : { "data-action": option.action.type };
      chips.append(
        el("button", { type: "button", class: "chip", ...attrs, onclick: () => actions.choose(option) }, label),
      );
    }
    root.append(chips);
  }

  if (m.notice === "away" && m.role === "system") {
    root.append(
      opts.contactEmail
        ? el("div", { class: "note", role: "note" }, t.emailSaved(opts.contactEmail))
        : renderAwayForm(t, actions),
    );
  }

  // A state notice is its own text; the note is for replies that handed over.
  if (m.handoff && !m.notice) {
    const notice = m.handoffNotice || (opts.hours ? `${t.handoff} ${t.hours(opts.hours)}` : t.handoff);
    root.append(el("div", { class: "note", role: "note" }, notice));
  }

  if (m.status === "stopped") root.append(el("span", { class: "st" }, t.stopped));

  if (m.role === "assistant" && live && m.stalled) {
    root.append(
      el(
        "div",
        { class: "err slow", role: "alert" },
        t.slow,
        el("button", { type: "button", class: "link", onclick: () => actions.retry(m) }, t.retry),
        el("button", { type: "button", class: "link", onclick: () => actions.stop?.(m) }, t.stopShort),
      ),
    );
  }

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
