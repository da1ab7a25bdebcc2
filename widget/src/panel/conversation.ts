/**
 * The conversation as the panel shows it: server messages merged with the shopper's
 * optimistic ones, live events applied in any order (an SSE delta may beat the POST's 202),
 * and the unread count derived from the last message the shopper has seen.
 */
import { toQuickReplies } from "../transport/chips";
import type { Card, ChatEvent, ChipAction, Message, QuickReply } from "../transport/types";

export interface ViewMessage extends Message {
  products: Card[];
  quickReplies: QuickReply[];
  handoff: boolean;
  handoffNotice?: string;
  thinking?: boolean;
  /** Shopper message whose POST failed; shown with a retry button. */
  sendError?: string;
  /** Failed assistant reply that the server said can be retried. */
  retryable?: boolean;
  /** Shopper message sent from a chip: its action, for a retry. */
  action?: ChipAction;
  /** A live reply that has had no event for longer than the assistant's timeout. */
  stalled?: boolean;
  /** Not stored on the server yet (optimistic) or never (welcome). */
  local?: boolean;
}

const FINAL = new Set(["received", "done", "failed", "stopped", "interrupted"]);
const LIVE = new Set(["pending", "streaming"]);

export const isFinal = (m: Message): boolean => FINAL.has(m.status);
export const optimisticId = (clientMessageId: string): string => `local:${clientMessageId}`;

function normalise(m: Message): ViewMessage {
  return {
    ...m,
    id: String(m.id),
    text: m.text || "",
    products: m.products || [],
    quickReplies: Array.isArray(m.quickReplies) ? toQuickReplies(m.quickReplies) : [],
    handoff: !!m.handoff,
    notice: m.notice || null,
  };
}

export class Conversation {
  messages: ViewMessage[] = [];
  lastReadId: string | null = null;
  /** Called with the ids whose rendering changed (undefined: everything). */
  onChange: (ids?: string[]) => void = () => {};

  find(id: string | null | undefined): ViewMessage | undefined {
    if (id == null) return undefined;
    return this.messages.find((m) => m.id === String(id));
  }

  findByClientId(clientMessageId: string | null | undefined): ViewMessage | undefined {
    if (!clientMessageId) return undefined;
    return this.messages.find((m) => m.clientMessageId === clientMessageId);
  }

  /** History replaces what we had, but keeps live/optimistic messages the history lacks. */
  load(history: Message[]): void {
    const fromServer = history.map(normalise);
    const known = new Set(fromServer.map((m) => m.id));
    const knownClient = new Set(fromServer.map((m) => m.clientMessageId).filter(Boolean));
    const extra = this.messages.filter(
      (m) => !known.has(m.id) && !(m.clientMessageId && knownClient.has(m.clientMessageId)),
    );
    // A message we already streamed further than the history snapshot keeps its text.
    for (const m of fromServer) {
      const mine = this.find(m.id);
      if (mine && LIVE.has(m.status) && mine.text.length > m.text.length) m.text = mine.text;
    }
    this.messages = [...fromServer, ...extra];
    this.onChange();
  }

  /** Insert or merge a server message; matches an optimistic one by clientMessageId. */
  upsert(incoming: Message): ViewMessage {
    const m = normalise(incoming);
    const existing = this.find(m.id) || this.findByClientId(m.clientMessageId);
    if (!existing) {
      this.messages.push(m);
      this.onChange([m.id]);
      return m;
    }
    const oldId = existing.id;
    const wasFinal = isFinal(existing);
    const keepText = LIVE.has(m.status) && existing.text.length > m.text.length;
    Object.assign(existing, {
      ...m,
      // Never step back from a final state to a live one (a late 202 after reply.done).
      status: wasFinal && LIVE.has(m.status) ? existing.status : m.status,
      text: keepText || (wasFinal && LIVE.has(m.status)) ? existing.text : m.text,
      products: m.products.length ? m.products : existing.products,
      quickReplies: m.quickReplies.length ? m.quickReplies : existing.quickReplies,
      handoff: m.handoff || existing.handoff,
      handoffNotice: existing.handoffNotice,
      thinking: isFinal(m) ? false : existing.thinking,
      stalled: isFinal(m) ? undefined : existing.stalled,
      local: false,
      sendError: undefined,
    });
    this.onChange([oldId, existing.id]);
    return existing;
  }

  /** A reply event for a message we have not seen yet creates its placeholder. */
  private reply(messageId: string): ViewMessage {
    const found = this.find(messageId);
    if (found) return found;
    const m = normalise({ id: messageId, role: "assistant", text: "", status: "pending" });
    this.messages.push(m);
    return m;
  }

  apply(e: ChatEvent): ViewMessage | undefined {
    switch (e.type) {
      case "message.new":
      case "reply.done":
        return this.upsert(e.message);
      case "reply.failed": {
        // An interrupted reply keeps its partial text and says so; anything else failed.
        const m = this.upsert({ ...e.message, status: e.message.status === "interrupted" ? "interrupted" : "failed" });
        m.retryable = e.retryable;
        return m;
      }
      case "connection":
      case "identity":
      case "server.restarting":
        return undefined;
    }
    const m = this.reply(e.messageId);
    m.stalled = undefined; // any news of the reply: it is moving again
    if (isFinal(m) && e.type !== "reply.products" && e.type !== "reply.quick_replies" && e.type !== "reply.handoff") {
      return m; // late stream events after the final message change nothing
    }
    switch (e.type) {
      case "reply.thinking":
        m.thinking = true;
        break;
      case "reply.idle":
        m.thinking = false;
        break;
      case "reply.delta":
        m.text += e.text;
        m.status = "streaming";
        m.thinking = false;
        break;
      case "reply.text":
        m.text = e.text;
        m.status = "streaming";
        if (e.text) m.thinking = false;
        break;
      case "reply.products":
        m.products = e.products || [];
        break;
      case "reply.quick_replies":
        m.quickReplies = Array.isArray(e.options) ? toQuickReplies(e.options) : [];
        break;
      case "reply.handoff":
        m.handoff = true;
        m.handoffNotice = e.notice;
        break;
    }
    this.onChange([m.id]);
    return m;
  }

  /** Forget everything shown: it belonged to someone else (the identity changed). */
  reset(): void {
    this.messages = [];
    this.lastReadId = null;
    this.onChange();
  }

  addOptimistic(text: string, clientMessageId: string, sendError?: string, action?: ChipAction): ViewMessage {
    const m: ViewMessage = {
      ...normalise({ id: optimisticId(clientMessageId), clientMessageId, role: "shopper", text, status: "pending" }),
      local: true,
      sendError,
      action,
    };
    this.messages.push(m);
    this.onChange([m.id]);
    return m;
  }

  markSendFailed(clientMessageId: string, error: string): void {
    const m = this.findByClientId(clientMessageId);
    if (!m?.local) return;
    m.sendError = error;
    this.onChange([m.id]);
  }

  remove(id: string): void {
    this.messages = this.messages.filter((m) => m.id !== id);
    this.onChange([id]);
  }

  /** The reply that is being written right now, if any (for the stop button). */
  streaming(): ViewMessage | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const m = this.messages[i];
      if (m.role === "assistant" && !m.local && LIVE.has(m.status)) return m;
    }
    return undefined;
  }

  /** The shopper message a failed reply answers (contract: message.replyTo). */
  questionFor(reply: ViewMessage): ViewMessage | undefined {
    const byId = this.find(reply.replyTo);
    if (byId) return byId;
    const i = this.messages.indexOf(reply);
    for (let j = i - 1; j >= 0; j--) if (this.messages[j].role === "shopper") return this.messages[j];
    return undefined;
  }

  private counts(m: ViewMessage): boolean {
    return !m.local && (m.role === "assistant" || m.role === "staff") && isFinal(m);
  }

  unreadCount(): number {
    const start = this.lastReadId == null ? -1 : this.messages.findIndex((m) => m.id === this.lastReadId);
    return this.messages.slice(start + 1).filter((m) => this.counts(m)).length;
  }

  /** Marks everything final as seen; returns true when the read position moved. */
  markAllRead(): boolean {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const m = this.messages[i];
      if (!m.local && isFinal(m)) {
        if (this.lastReadId === m.id) return false;
        this.lastReadId = m.id;
        return true;
      }
    }
    return false;
  }

  /** Engines that count unread themselves (Stream) set the read position from a count. */
  setUnreadCount(n: number): void {
    let seen = 0;
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const m = this.messages[i];
      if (seen >= n && !m.local && isFinal(m)) {
        this.lastReadId = m.id;
        return;
      }
      if (this.counts(m)) seen++;
    }
    this.lastReadId = null;
  }
}
