/**
 * The chat panel: mounts into the loader's shadow root and wires the conversation, its
 * rendering, the transport and the shopper's input together.
 */
import type { LoaderApi, MountData, PanelHandle } from "../shared";
import { chipLabel } from "../transport/chips";
import { ChatHttpError } from "../transport/http";
import { LocalTransport } from "../transport/local";
import {
  type ChatEvent,
  type ChipAction,
  type History,
  handedOff,
  type QuickReply,
  type Transport,
  type TransportConfig,
} from "../transport/types";
import { brandColors, css, parseRgb } from "./contrast";
import { Conversation, isFinal, type ViewMessage } from "./conversation";
import { el } from "./dom";
import { initials, newClientMessageId, safeUrl } from "./format";
import { locale, type Texts, texts } from "./i18n";
import { markdownText } from "./markdown";
import { RatingPrompt } from "./rating";
import { renderMessage } from "./render";
import { SafeStore } from "./storage";
import { PANEL_CSS } from "./styles";
import { watchTheme } from "./theme";

export type TransportFactory = (cfg: TransportConfig, data: MountData) => Promise<Transport>;

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.async = true;
    s.onload = () => resolve();
    s.onerror = () => {
      s.remove();
      reject(new Error(`could not load ${src}`));
    };
    document.head.appendChild(s);
  });
}

/** Stream's client library (~100 KB gzipped) is fetched only for the stream engine. */
export const defaultTransport: TransportFactory = async (cfg, data) => {
  if (data.engine === "stream") {
    if (!window.__chatbotStream) await loadScript(data.streamSrc || "/static/chatbot/stream-transport.js");
    if (!window.__chatbotStream) throw new Error("stream transport missing");
    return window.__chatbotStream.createStreamTransport(cfg);
  }
  return new LocalTransport(cfg);
};

export function transportConfig(data: MountData): TransportConfig {
  return {
    shop: data.shop || "",
    csrfToken: data.csrfToken || "",
    tokenUrl: data.tokenUrl || "/api/chatbot/stream-chat-token",
    messageUrl: data.messageUrl || "/api/chatbot/stream-message",
    historyUrl: data.historyUrl || "/api/chatbot/history",
    eventsUrl: data.eventsUrl || "/api/chatbot/events",
    stopUrl: data.stopUrl || "/api/chatbot/stop",
    contactUrl: data.contactUrl || "/api/chatbot/contact-email",
    ratingUrl: data.ratingUrl || "/api/chatbot/rating",
  };
}

const SEND_ICON = "M3.4 20.4 21 12 3.4 3.6 3.4 10.1 15 12 3.4 13.9z";

interface Outboxed {
  clientMessageId: string;
  text: string;
  action?: ChipAction;
}

/** The assistant's timeout when the page does not say (`data-reply-timeout`, seconds). */
const DEFAULT_REPLY_TIMEOUT_S = 90;

export class Panel implements PanelHandle {
  readonly conv = new Conversation();
  readonly t: Texts;
  private readonly loc: string;
  private readonly data: MountData;
  private readonly local: SafeStore;
  private readonly session: SafeStore;
  private readonly views = new Map<ViewMessage, HTMLElement>();
  private readonly welcome: ViewMessage;
  private chipsOwner: ViewMessage | undefined;
  private transport: Transport | undefined;
  private starting: Promise<void> | undefined;
  private loaded = false;
  private opened = false;
  private handoff = false;
  /** The email address left while staff were away (the form then thanks instead). */
  private contactEmail: string | undefined;
  private user: string | undefined;
  /** The view was just reset for a new identity: the history it loads next counts as read. */
  private fresh = false;
  /** When each unfinished reply last had news (an event, a POST answer, a history read). */
  private readonly news = new Map<string, number>();
  private readonly replyTimeoutMs: number;
  private checking = false;
  private watchTimer: ReturnType<typeof setInterval> | undefined;

  readonly root: HTMLElement;
  readonly list: HTMLElement;
  readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly stopWrap: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly footer: HTMLElement;
  private readonly live: HTMLElement;
  readonly rating: RatingPrompt;
  /** Replies already read out (or already there when they loaded): each is said once. */
  private readonly announced = new Set<string>();
  /** Loading a first history: what it brings is not news to read out. */
  private muted = false;

  constructor(
    private readonly loader: LoaderApi,
    private readonly makeTransport: TransportFactory = defaultTransport,
  ) {
    this.data = loader.data;
    this.t = texts(this.data.lang);
    const timeout = Number(this.data.replyTimeout);
    this.replyTimeoutMs = (Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_REPLY_TIMEOUT_S) * 1000;
    this.loc = locale(this.data.lang);
    this.local = new SafeStore("localStorage", this.data.shop);
    this.session = new SafeStore("sessionStorage", this.data.shop);
    this.welcome = {
      id: "welcome",
      role: "assistant",
      text: this.data.welcome || this.t.welcome,
      status: "done",
      products: [],
      quickReplies: [],
      handoff: false,
      local: true,
    };
    const t = this.t;
    const name = this.data.shopName || t.title;

    this.list = el("div", { class: "list", role: "log", "aria-live": "off", "aria-label": t.messages, tabindex: "0" });
    this.input = el("textarea", {
      rows: "1",
      placeholder: t.placeholder,
      "aria-label": t.inputLabel,
      maxlength: "4000",
      enterkeyhint: "send",
    });
    this.sendButton = el("button", { type: "submit", class: "send", "aria-label": t.send });
    // Static SVG from a constant path; the only markup the panel builds from a string.
    this.sendButton.innerHTML = `<svg viewBox="0 0 24 24" aria-hidden="true"><path d="${SEND_ICON}"/></svg>`;
    this.stopWrap = el(
      "div",
      { class: "stopw", hidden: true },
      el("button", { type: "button", class: "stop", onclick: () => this.stop() }, `■ ${t.stop}`),
    );
    this.bar = el("div", { class: "bar", role: "status", hidden: true });
    this.footer = el("p", { class: "f" }, t.footer);
    this.live = el("div", { class: "sr", "aria-live": "polite" });
    this.rating = new RatingPrompt(t, (score, comment) => {
      if (!this.transport) return Promise.reject(new Error("not connected"));
      return this.transport.rate(score, comment);
    });
    this.rating.onRated = (replyId) => {
      this.local.set("ratedUpTo", replyId);
      this.local.set("rateDue", null);
    };
    const form = el(
      "form",
      {
        class: "c",
        onsubmit: (e: Event) => {
          e.preventDefault();
          this.submit();
        },
      },
      this.input,
      this.sendButton,
    );
    this.root = el(
      "section",
      {
        class: "p",
        role: "dialog",
        "aria-modal": "false",
        "aria-labelledby": "cb-title",
        "data-theme": "auto",
        lang: /^zh/i.test(this.data.lang || "") ? "zh-Hans" : "en",
        hidden: true,
      },
      el(
        "header",
        { class: "h" },
        this.avatar(name),
        el("div", { class: "ht" }, el("h2", { id: "cb-title" }, name), el("p", {}, this.data.promise || t.subtitle)),
        el("button", { type: "button", class: "x", "aria-label": t.close, onclick: () => this.loader.close() }, "×"),
      ),
      this.list,
      this.rating.root,
      this.bar,
      this.stopWrap,
      form,
      this.footer,
      this.live,
    );

    this.root.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        this.loader.close();
      }
    });
    this.input.addEventListener("keydown", (e) => {
      // keyCode 229: an IME is composing (Chinese input); Enter picks a candidate there.
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => {
      this.session.set("draft", this.input.value || null);
      this.autosize();
    });
    this.input.value = this.session.get("draft") || "";
    this.conv.onChange = (ids) => this.render(ids);
    document.addEventListener("visibilitychange", () => this.syncRead());
  }

  /** The shop's logo when the page gives one (`data-logo`), else one letter of its name. */
  private avatar(name: string): HTMLElement {
    const logo = safeUrl(this.data.logo);
    const av = el("div", { class: "av", "aria-hidden": "true" });
    if (!logo) {
      av.textContent = initials(name);
      return av;
    }
    const img = el("img", { src: logo, alt: "" });
    img.onerror = () => {
      img.remove();
      av.textContent = initials(name);
    };
    av.append(img);
    return av;
  }

  /**
   * Readable variants of the shop's brand colour (see contrast.ts), from the colour the
   * browser resolved (any CSS colour syntax the shop used). Without it, the CSS defaults.
   */
  private applyBrand(): void {
    // Through CSSOM, not a style attribute: a shop's CSP may forbid inline style attributes.
    const probe = el("i", { hidden: true });
    probe.style.color = "var(--brand)";
    this.root.append(probe);
    const brand = parseRgb(getComputedStyle(probe).color);
    probe.remove();
    if (!brand) return;
    const c = brandColors(brand);
    const vars = { "--solid": c.solid, "--on": c.on, "--ink-l": c.inkLight, "--ink-d": c.inkDark };
    for (const [name, rgb] of Object.entries(vars)) this.root.style.setProperty(name, css(rgb));
  }

  /** Who the widget thinks is chatting (browser tests read it). */
  get userId(): string | undefined {
    return this.user;
  }

  mount(): void {
    const style = document.createElement("style");
    style.textContent = PANEL_CSS;
    this.loader.root.append(style, this.root);
    this.applyBrand();
    watchTheme((theme) => this.root.setAttribute("data-theme", theme));
    this.render();
    this.watchTimer ??= setInterval(() => this.watch(), Math.min(5000, Math.max(250, this.replyTimeoutMs / 4)));
    // The local engine is cheap to start; Stream's library waits for an actual open.
    if (this.data.engine !== "stream") this.start().catch(() => {});
  }

  setOpen(open: boolean): void {
    this.opened = open;
    this.root.hidden = !open;
    if (!open) {
      this.rateLater();
      return;
    }
    this.updateRating();
    this.start().catch(() => {});
    this.input.focus();
    this.autosize();
    this.list.scrollTop = this.list.scrollHeight;
    this.syncRead();
  }

  start(): Promise<void> {
    if (!this.starting) {
      this.starting = this.connect().catch((err) => {
        this.starting = undefined;
        this.showBar(this.t.loadFailed, () => this.start().catch(() => {}));
        throw err;
      });
    }
    return this.starting;
  }

  private async connect(): Promise<void> {
    const transport = this.transport || (await this.makeTransport(transportConfig(this.data), this.data));
    if (!this.transport) {
      this.transport = transport;
      transport.onEvent((e) => this.onEvent(e));
    }
    await transport.connect();
    this.noteUser(transport.userId);
    await this.loadHistory(transport);
  }

  /** Loads the history of whoever chats now, asking again if that changed meanwhile. */
  private async loadHistory(transport: Transport): Promise<void> {
    let user: string | undefined;
    let history: History;
    do {
      user = transport.userId;
      history = await transport.history();
    } while (transport.userId !== user);
    // The first history, or a new person's, is the past; a later reload (after a
    // reconnect) may bring an answer that finished meanwhile, which is news.
    this.muted = !this.loaded || this.fresh;
    try {
      this.applyHistory(history);
    } finally {
      this.muted = false;
    }
  }

  private applyHistory(history: History): void {
    this.conv.load(history.messages);
    if (history.welcome && !this.data.welcome) this.welcome.text = history.welcome;
    // A hand-off seen here or on an earlier page that is over now (staff handed back):
    // that talk ended, so the rating is offered.
    const wasHandedOff = this.handoff || this.local.get("handoff") === "1";
    this.handoff = !!history.handoff;
    this.contactEmail = history.contactEmail || this.session.get("contactEmail") || undefined;
    this.local.set("handoff", this.handoff ? "1" : null);
    if (wasHandedOff && !this.handoff) this.rateLater();
    // Messages typed on an earlier page whose POST never succeeded come back, retryable.
    for (const item of this.session.getJson<Outboxed[]>("outbox", [])) {
      const shown = this.conv.findByClientId(item.clientMessageId);
      if (!shown) this.conv.addOptimistic(item.text, item.clientMessageId, this.t.notSent, item.action);
      else if (!shown.local) this.dropOutbox(item.clientMessageId);
    }
    const now = Date.now();
    for (const m of this.conv.messages) if (!isFinal(m)) this.news.set(m.id, now);
    if (history.unread !== undefined) this.conv.setUnreadCount(history.unread);
    else if (this.fresh) {
      // Signing in is not "replies came while you were away": no badge for the whole past.
      this.conv.markAllRead();
      this.local.set("lastRead", this.conv.lastReadId);
    } else this.conv.lastReadId = this.local.get("lastRead");
    this.fresh = false;
    this.loaded = true;
    this.showBar(null);
    this.render();
  }

  /**
   * Remembers who is chatting. Someone else than before (in this tab, or on the page this
   * tab or another showed last) gets a clean view: privacy beats keeping unsent messages.
   * Returns whether the view was reset.
   */
  private noteUser(userId: string | undefined): boolean {
    if (!userId || userId === this.user) return false;
    const before = this.user !== undefined ? [this.user] : [this.session.get("user"), this.local.get("user")];
    this.user = userId;
    this.session.set("user", userId);
    this.local.set("user", userId);
    if (!before.some((u) => u && u !== userId)) return false;
    this.forget();
    return true;
  }

  /** Drops everything of the previous person: messages, read position, badge, outbox, draft. */
  private forget(): void {
    this.fresh = true;
    this.handoff = false;
    this.contactEmail = undefined;
    this.session.set("contactEmail", null);
    this.local.set("handoff", null);
    this.local.set("rateDue", null);
    this.local.set("ratedUpTo", null);
    this.rating.hide();
    this.live.textContent = "";
    this.local.set("lastRead", null);
    this.session.set("outbox", null);
    this.session.set("draft", null);
    this.input.value = "";
    this.autosize();
    this.conv.reset();
    this.loader.setUnread(0);
  }

  private reload(): void {
    const transport = this.transport;
    if (!transport) return;
    this.loadHistory(transport).catch(() => this.showBar(this.t.loadFailed, () => this.reload()));
  }

  private onEvent(e: ChatEvent): void {
    if (e.type === "connection") {
      this.showBar(e.state === "reconnecting" && this.loaded ? this.t.reconnecting : null);
      return;
    }
    if (e.type === "identity") {
      // Before the first load, connect() is still on its way and loads the right history.
      if (this.noteUser(e.userId) && this.loaded) this.reload();
      return;
    }
    const m = this.conv.apply(e);
    if (!m) return;
    if (isFinal(m)) this.news.delete(m.id);
    else this.news.set(m.id, Date.now());
    // The newest message that says so decides: a hand-off, or the assistant back / closed.
    const wasHandedOff = this.handoff;
    this.handoff = e.type === "reply.handoff" || handedOff(this.conv.messages, this.handoff);
    // Remembered across pages: a later page learns when it is over (the rating).
    if (this.handoff !== wasHandedOff) this.local.set("handoff", this.handoff ? "1" : null);
    if (m.notice === "back" || m.notice === "closed") {
      this.contactEmail = undefined;
      this.session.set("contactEmail", null);
      // Staff handed back or closed it live: that talk ended, so the rating is offered
      // (shown now if the panel is open, else when it opens), as after a reload.
      this.rateLater();
    }
    this.updateChrome();
  }

  private submit(): void {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    this.session.set("draft", null);
    this.autosize();
    this.send(text);
  }

  /**
   * Optimistic: the message shows at once and stays (retryable) whatever the network does.
   * `action`: a chip's action, sent with its label (the bubble shows the label).
   */
  send(text: string, action?: ChipAction): Promise<void> {
    const clientMessageId = newClientMessageId();
    const outbox = this.session.getJson<Outboxed[]>("outbox", []);
    outbox.push(action ? { clientMessageId, text, action } : { clientMessageId, text });
    this.session.set("outbox", JSON.stringify(outbox));
    this.conv.addOptimistic(text, clientMessageId, undefined, action);
    this.scrollToEnd();
    return this.post(text, clientMessageId, action);
  }

  /** A quick-reply chip: its label is the shopper's words, its action (if any) goes along. */
  choose(option: QuickReply): Promise<void> {
    return this.send(chipLabel(option), typeof option === "string" ? undefined : option.action);
  }

  private actionOf(clientMessageId: string): ChipAction | undefined {
    return this.session.getJson<Outboxed[]>("outbox", []).find((o) => o.clientMessageId === clientMessageId)?.action;
  }

  private async post(text: string, clientMessageId: string, action?: ChipAction): Promise<void> {
    try {
      // Always the (memoised) start: the transport object exists before its token has
      // come back, and a message sent earlier would race the identity the token fixes.
      await this.start();
      const transport = this.transport as Transport;
      const res = await transport.send(text, clientMessageId, action);
      this.conv.upsert(res.message);
      if (res.reply) {
        const reply = this.conv.upsert(res.reply);
        if (!isFinal(reply)) this.news.set(reply.id, Date.now());
      }
      this.dropOutbox(clientMessageId);
    } catch (err) {
      this.conv.markSendFailed(clientMessageId, this.errorText(err));
    }
  }

  private dropOutbox(clientMessageId: string): void {
    const rest = this.session.getJson<Outboxed[]>("outbox", []).filter((o) => o.clientMessageId !== clientMessageId);
    this.session.set("outbox", rest.length ? JSON.stringify(rest) : null);
  }

  /** Retry re-POSTs the same clientMessageId: the server stores nothing twice. */
  async retry(m: ViewMessage): Promise<void> {
    if (m.role === "shopper") {
      if (!m.clientMessageId) return;
      m.sendError = undefined;
      this.conv.onChange([m.id]);
      return this.post(m.text, m.clientMessageId, m.action ?? this.actionOf(m.clientMessageId));
    }
    const question = this.conv.questionFor(m);
    if (!question?.clientMessageId || !this.transport) return;
    const before = { text: m.text, status: m.status };
    Object.assign(m, { text: "", status: "pending", retryable: undefined, stalled: undefined });
    this.news.set(m.id, Date.now());
    this.conv.onChange([m.id]);
    try {
      const res = await this.transport.send(question.text, question.clientMessageId, question.action);
      if (res.reply && String(res.reply.id) !== m.id) {
        this.conv.remove(m.id);
        this.conv.upsert(res.reply);
      } else if (res.reply) this.conv.upsert(res.reply);
    } catch (err) {
      Object.assign(m, before, { retryable: true });
      this.conv.onChange([m.id]);
      this.live.textContent = this.errorText(err);
    }
  }

  /** Outside business hours: staff answers go to this address as well. */
  async leaveEmail(email: string): Promise<void> {
    await this.start();
    await (this.transport as Transport).leaveEmail(email);
    this.contactEmail = email;
    this.session.set("contactEmail", email);
    this.render(this.conv.messages.filter((m) => m.notice === "away").map((m) => m.id));
    this.live.textContent = this.t.emailSaved(email);
  }

  stop(m: ViewMessage | undefined = this.conv.streaming()): void {
    if (m && this.transport) this.transport.stop(m.id).catch(() => {});
  }

  /**
   * A reply showing "thinking" or streaming with no news for longer than the assistant's
   * timeout: read the history for it once; if it is still unfinished there, say so and
   * offer retry and stop instead of thinking forever.
   */
  async watch(now = Date.now()): Promise<void> {
    const m = this.conv.streaming();
    const transport = this.transport;
    if (!m || !transport || this.checking || m.stalled) return;
    const last = this.news.get(m.id);
    if (last === undefined) {
      this.news.set(m.id, now);
      return;
    }
    if (now - last < this.replyTimeoutMs) return;
    this.checking = true;
    try {
      const history = await transport.history();
      this.conv.load(history.messages);
    } catch {
      // Could not ask: what we show is all we know, and that is still unfinished.
    } finally {
      this.checking = false;
    }
    const still = this.conv.find(m.id);
    this.news.set(m.id, Date.now());
    if (!still || isFinal(still)) {
      this.news.delete(m.id);
      return;
    }
    still.stalled = true;
    this.conv.onChange([still.id]);
    this.live.textContent = this.t.slow;
  }

  private errorText(err: unknown): string {
    const t = this.t;
    if (err instanceof ChatHttpError) {
      if (err.code === "rate_limited" || err.status === 429) return t.rateLimited;
      if (err.code === "message_too_long" || err.status === 413) return t.tooLong;
      if (err.code === "shutting_down") return t.restarting;
      if (err.code === "chat_disabled" || err.status === 503) return t.disabled;
      return t.notSent;
    }
    return t.offline;
  }

  private showBar(text: string | null, action?: () => void): void {
    this.bar.hidden = !text;
    this.bar.textContent = text || "";
    if (text && action) {
      this.bar.append(" ", el("button", { type: "button", class: "link", onclick: action }, this.t.retry));
    }
  }

  private autosize(): void {
    this.input.style.height = "auto";
    if (this.input.scrollHeight) this.input.style.height = `${Math.min(this.input.scrollHeight + 2, 120)}px`;
  }

  private scrollToEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }

  private lastAssistant(): ViewMessage | undefined {
    const all = this.conv.messages;
    const last = all[all.length - 1];
    return last && last.role === "assistant" ? last : undefined;
  }

  /** Re-renders changed messages and keeps DOM order equal to the conversation's. */
  render(ids?: string[]): void {
    const list = this.list;
    const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    const dirty = new Set(ids ?? [this.welcome.id, ...this.conv.messages.map((m) => m.id)]);
    const owner = this.lastAssistant();
    if (owner !== this.chipsOwner) {
      if (owner) dirty.add(owner.id);
      if (this.chipsOwner) dirty.add(this.chipsOwner.id);
      this.chipsOwner = owner;
    }
    const shown = [this.welcome, ...this.conv.messages];
    const present = new Set(shown);
    let prev: Element | null = null;
    for (const m of shown) {
      let node = this.views.get(m);
      if (!node || dirty.has(m.id)) {
        const fresh = renderMessage(
          m,
          {
            t: this.t,
            locale: this.loc,
            showChips: m === owner && !this.conv.streaming(),
            hours: this.data.hours,
            contactEmail: this.contactEmail,
          },
          {
            retry: (x) => this.retry(x),
            choose: (option) => this.choose(option),
            stop: (x) => this.stop(x),
            leaveEmail: (email) => this.leaveEmail(email),
          },
        );
        node?.replaceWith(fresh);
        node = fresh;
        this.views.set(m, node);
        this.announce(m);
      }
      const expected: ChildNode | null = prev ? prev.nextSibling : list.firstChild;
      if (node !== expected) list.insertBefore(node, expected);
      prev = node;
    }
    for (const [m, node] of this.views) {
      if (!present.has(m)) {
        node.remove();
        this.views.delete(m);
      }
    }
    if (atEnd) this.scrollToEnd();
    this.updateChrome();
  }

  /** The last reply that answered the shopper (finished, after a question), if that is where the talk stands. */
  private answeredReply(): ViewMessage | undefined {
    const all = this.conv.messages.filter((m) => m.role !== "system"); // notices are not the talk
    const last = all[all.length - 1];
    if (!last || last.local || last.status !== "done" || (last.role !== "assistant" && last.role !== "staff")) return;
    return all.some((m) => m.role === "shopper") ? last : undefined;
  }

  /** The conversation ended for now (panel closed, hand-off resolved): offer the rating next time. */
  private rateLater(): void {
    if (this.handoff) return; // waiting for or talking with staff: not over yet
    const reply = this.answeredReply();
    if (reply && reply.id !== this.local.get("ratedUpTo")) this.local.set("rateDue", reply.id);
  }

  /** Shows the rating under the last reply while it is due, until the shopper writes again. */
  private updateRating(): void {
    const reply = this.answeredReply();
    if (this.rating.shown) {
      if (!reply || reply.id !== this.rating.forReply) this.rating.hide();
      return;
    }
    const due = this.local.get("rateDue");
    if (due && reply?.id === due && this.opened && this.loaded && due !== this.local.get("ratedUpTo")) {
      this.rating.show(due);
    }
  }

  /**
   * A finished answer from the assistant or staff goes to the polite live region once, as
   * its words without Markdown. The message list is not live: a streaming reply would be
   * read out fragment by fragment. Closed, the launcher's badge says what came.
   */
  private announce(m: ViewMessage): void {
    if ((m.role !== "assistant" && m.role !== "staff") || m.local || m.status !== "done" || !m.text) return;
    if (this.announced.has(m.id)) return;
    this.announced.add(m.id);
    if (this.muted || !this.opened) return;
    this.live.textContent = "";
    this.live.textContent = (m.role === "staff" ? this.t.staffSays : this.t.assistantSays) + markdownText(m.text);
  }

  private updateChrome(): void {
    this.updateRating();
    this.stopWrap.hidden = !this.conv.streaming();
    this.footer.textContent = this.handoff ? this.t.footerHandoff : this.t.footer;
    this.syncRead();
  }

  /** Open and visible: everything is read. Closed: the launcher badge shows what is not. */
  private syncRead(): void {
    if (!this.loaded) return;
    if (this.opened && document.visibilityState !== "hidden") {
      if (this.conv.markAllRead()) {
        this.local.set("lastRead", this.conv.lastReadId);
        this.transport?.markRead?.();
      }
      this.loader.setUnread(0);
    } else {
      this.loader.setUnread(this.conv.unreadCount());
    }
  }
}
