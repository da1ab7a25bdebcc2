/**
 * The Stream engine in the browser. Stream carries the live conversation over its
 * WebSocket; our routes still issue the token and accept the shopper's messages (the server
 * stores them before they reach the channel). Stream's events are mapped onto the panel's
 * ChatEvent vocabulary, so the panel does not know which engine it talks to.
 *
 * This module does not import `stream-chat` itself: stream-entry.ts injects the SDK, and
 * tests inject a fake with the same few methods.
 */
import { toQuickReplies } from "./chips";
import { ChatApi } from "./http";
import {
  type Card,
  type ChatEvent,
  type ChipAction,
  type History,
  handedOff,
  type Message,
  type Notice,
  type SendResult,
  type Status,
  type TokenResponse,
  type Transport,
  type TransportConfig,
} from "./types";

/** The slice of Stream's message shape we read (custom fields sit at the top level). */
export interface StreamMessage {
  id: string;
  text?: string;
  type?: string;
  user?: { id: string; name?: string } | null;
  created_at?: string | Date;
  attachments?: Record<string, unknown>[];
  generating?: boolean;
  ai_generated?: boolean;
  [custom: string]: unknown;
}

export interface StreamEvent {
  type: string;
  message?: StreamMessage;
  message_id?: string;
  ai_state?: string;
  online?: boolean;
  [key: string]: unknown;
}

export interface StreamChannelLike {
  watch(): Promise<unknown>;
  on(type: string, cb: (e: StreamEvent) => void): { unsubscribe(): void };
  sendEvent(event: Record<string, unknown>): Promise<unknown>;
  markRead(): Promise<unknown>;
  countUnread(): number;
  state: { messages: StreamMessage[] };
}

export interface StreamClientLike {
  connectUser(user: { id: string; name?: string }, token: () => Promise<string>): Promise<unknown>;
  disconnectUser(): Promise<unknown>;
  channel(type: string, id: string): StreamChannelLike;
  on(type: string, cb: (e: StreamEvent) => void): { unsubscribe(): void };
}

export interface StreamChatLike {
  getInstance(apiKey: string, options?: { baseURL?: string }): StreamClientLike;
}

export interface StreamDeps {
  chat: StreamChatLike;
  fetch?: typeof fetch;
}

const STATUSES = new Set(["received", "pending", "streaming", "done", "failed", "stopped"]);
const ROLES = new Set(["shopper", "assistant", "staff", "system"]);
const NOTICES = new Set(["handoff", "away", "back", "closed"]);

function str(v: unknown): string | null {
  return typeof v === "string" && v ? v : v == null || v === "" ? null : String(v);
}

export function toCard(a: Record<string, unknown>): Card {
  return {
    sku: String(a.sku ?? ""),
    name: String(a.name ?? a.title ?? ""),
    price: String(a.price ?? ""),
    currency: String(a.currency ?? ""),
    stock: (a.stock as number | string | null | undefined) ?? null,
    inStock: a.in_stock === undefined ? Number(a.stock) > 0 : !!a.in_stock,
    url: str(a.url ?? a.title_link),
    imageUrl: str(a.image_url ?? a.thumb_url),
  };
}

export class StreamTransport implements Transport {
  private readonly api: ChatApi;
  private readonly listeners = new Set<(e: ChatEvent) => void>();
  private readonly known = new Map<string, Message>();
  private readonly subs: { unsubscribe(): void }[] = [];
  private client: StreamClientLike | null = null;
  private channel: StreamChannelLike | null = null;
  private info: TokenResponse | null = null;
  private generatingId: string | null = null;
  /**
   * Stream message id → our Message id. The server stores every message first and
   * writes its id into Stream as `chatbot_message_id`; the panel, the message route's
   * answer and the stop route all use ours, Stream's events use theirs.
   */
  private readonly ourIds = new Map<string, string>();
  private readonly streamIds = new Map<string, string>();

  constructor(
    cfg: TransportConfig,
    private readonly deps: StreamDeps,
  ) {
    this.api = new ChatApi(cfg, deps.fetch);
    // Every route answer names who is chatting: a sign-in or sign-out (maybe in another
    // tab) makes it someone else, whose Stream user and channel we must switch to.
    this.api.onUser = (userId) => {
      if (this.info && userId !== this.info.userId) void this.switchUser();
    };
  }

  get userId(): string | undefined {
    return this.info?.userId;
  }

  private switching = false;

  /** Reconnects as whoever the server says chats now, then tells the panel. */
  private async switchUser(): Promise<void> {
    if (this.switching) return;
    this.switching = true;
    try {
      for (const s of this.subs.splice(0)) s.unsubscribe();
      await this.client?.disconnectUser().catch(() => {});
      this.client = null;
      this.channel = null;
      this.info = null;
      this.ourIds.clear();
      this.streamIds.clear();
      await this.connect();
      const info = this.info as TokenResponse | null;
      if (info) {
        for (const cb of this.listeners) cb({ type: "identity", userId: info.userId, userName: info.userName });
      }
    } catch {
      for (const cb of this.listeners) cb({ type: "connection", state: "reconnecting" });
    } finally {
      this.switching = false;
    }
  }

  /** Maps a Stream message onto the contract's Message, telling roles apart by user id. */
  toMessage(m: StreamMessage): Message {
    const info = this.info;
    const uid = m.user?.id;
    const id = str(m.chatbot_message_id) || m.id;
    this.ourIds.set(m.id, id);
    this.streamIds.set(id, m.id);
    // Staff and system notices are posted by the assistant user and labelled by chatbot_role.
    const labelled = str(m.chatbot_role);
    const role =
      labelled && ROLES.has(labelled)
        ? (labelled as Message["role"])
        : m.type === "system"
          ? "system"
          : uid && uid === info?.userId
            ? "shopper"
            : (uid && uid === info?.assistantUserId) || m.ai_generated
              ? "assistant"
              : "staff";
    const text = m.text || "";
    const custom = str(m.status);
    let status: Status;
    if (custom && STATUSES.has(custom)) status = custom as Status;
    else if (m.type === "error" || m.ai_error) status = "failed";
    else if (m.stopped) status = "stopped";
    else if (role !== "assistant") status = "received";
    else if (m.generating) status = text ? "streaming" : "pending";
    // Stream's AI samples post an empty placeholder before the first chunk.
    else if (m.generating === undefined && !text && m.ai_generated) status = "pending";
    else status = "done";
    const attachments = m.attachments || [];
    const products = attachments.filter((a) => a.type === "product").map(toCard);
    const quick = attachments.find((a) => a.type === "quick_replies");
    const options = Array.isArray(quick?.options) ? toQuickReplies(quick.options as unknown[]) : [];
    return {
      id,
      clientMessageId: str(m.client_message_id ?? m.clientMessageId),
      role,
      text,
      status,
      replyTo: str(m.reply_to ?? m.replyTo),
      createdAt: m.created_at ? new Date(m.created_at).toISOString() : null,
      products,
      quickReplies: options,
      handoff: !!m.handoff,
      notice: NOTICES.has(str(m.chatbot_notice) || "") ? (str(m.chatbot_notice) as Notice) : null,
    };
  }

  /** Stream event → zero or more panel events. Exposed for the unit tests. */
  map(e: StreamEvent): ChatEvent[] {
    switch (e.type) {
      case "message.new":
      case "message.updated": {
        if (!e.message) return [];
        const m = this.toMessage(e.message);
        this.known.set(m.id, m);
        if (m.role !== "assistant" || e.type === "message.new") {
          if (m.role === "assistant" && (m.status === "pending" || m.status === "streaming")) {
            this.generatingId = m.id;
          }
          return [{ type: "message.new", message: m }];
        }
        if (m.status === "failed") {
          return [{ type: "reply.failed", message: m, retryable: e.message.retryable !== false }];
        }
        if (m.status === "pending" || m.status === "streaming") {
          const out: ChatEvent[] = [{ type: "reply.text", messageId: m.id, text: m.text }];
          if (m.products?.length) out.push({ type: "reply.products", messageId: m.id, products: m.products });
          if (m.quickReplies?.length) {
            out.push({ type: "reply.quick_replies", messageId: m.id, options: m.quickReplies });
          }
          return out;
        }
        return [{ type: "reply.done", message: m }];
      }
      case "ai_indicator.update": {
        const id = this.ours(e.message_id) || this.generatingId;
        if (!id) return [];
        this.generatingId = id;
        if (e.ai_state === "AI_STATE_ERROR") {
          const m = this.known.get(id) || { id, role: "assistant" as const, text: "", status: "failed" as const };
          return [{ type: "reply.failed", message: { ...m, status: "failed" }, retryable: true }];
        }
        return [{ type: "reply.thinking", messageId: id }];
      }
      case "ai_indicator.clear":
      case "ai_indicator.stop": {
        const id = this.ours(e.message_id) || this.generatingId;
        return id ? [{ type: "reply.idle", messageId: id }] : [];
      }
      case "connection.changed":
        return [{ type: "connection", state: e.online ? "open" : "reconnecting" }];
      default:
        return [];
    }
  }

  private ours(streamId: string | undefined): string | undefined {
    return streamId ? this.ourIds.get(streamId) || streamId : undefined;
  }

  private emit(e: StreamEvent): void {
    for (const ev of this.map(e)) for (const cb of this.listeners) cb(ev);
  }

  async connect(): Promise<void> {
    if (this.channel) return;
    const info = await this.api.token();
    if (!info.channel) throw new Error("token response lacks the Stream channel");
    this.info = info;
    const client = this.deps.chat.getInstance(info.apiKey, info.baseUrl ? { baseURL: info.baseUrl } : undefined);
    let first: string | null = info.token;
    // Stream calls the provider again whenever the token expires; the first call reuses ours.
    const provider = async () => {
      if (first) {
        const t = first;
        first = null;
        return t;
      }
      const fresh = await this.api.token();
      return fresh.token;
    };
    await client.connectUser({ id: info.userId, name: info.userName }, provider);
    this.client = client;
    const channel = client.channel(info.channel.type, info.channel.id);
    await channel.watch();
    this.channel = channel;
    for (const type of [
      "message.new",
      "message.updated",
      "ai_indicator.update",
      "ai_indicator.clear",
      "ai_indicator.stop",
    ]) {
      this.subs.push(channel.on(type, (e) => this.emit(e)));
    }
    this.subs.push(client.on("connection.changed", (e) => this.emit(e)));
  }

  async history(): Promise<History> {
    const channel = this.channel;
    if (!channel) return { messages: [] };
    const messages = (channel.state.messages || []).map((m) => {
      const msg = this.toMessage(m);
      this.known.set(msg.id, msg);
      return msg;
    });
    let unread: number | undefined;
    try {
      unread = channel.countUnread();
    } catch {
      unread = undefined;
    }
    return { messages, unread, handoff: handedOff(messages) };
  }

  async leaveEmail(email: string): Promise<void> {
    await this.api.contactEmail(email);
  }

  /** Through OUR route, not channel.sendMessage: the server stores it and starts the reply. */
  send(text: string, clientMessageId: string, action?: ChipAction): Promise<SendResult> {
    return this.api.send(text, clientMessageId, action);
  }

  rate(score: number, comment?: string): Promise<unknown> {
    return this.api.rate(score, comment);
  }

  async stop(messageId: string): Promise<void> {
    const tasks: Promise<unknown>[] = [this.api.stop(messageId)];
    if (this.channel)
      tasks.push(
        this.channel.sendEvent({ type: "ai_indicator.stop", message_id: this.streamIds.get(messageId) || messageId }),
      );
    const results = await Promise.allSettled(tasks);
    if (results.every((r) => r.status === "rejected")) throw (results[0] as PromiseRejectedResult).reason;
  }

  onEvent(cb: (event: ChatEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  markRead(): void {
    this.channel?.markRead().catch(() => {});
  }

  close(): void {
    for (const s of this.subs.splice(0)) s.unsubscribe();
    this.client?.disconnectUser().catch(() => {});
    this.client = null;
    this.channel = null;
  }
}
