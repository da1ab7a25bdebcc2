/**
 * The local engine: messages over our JSON routes, live events over SSE.
 * EventSource reconnects by itself and sends Last-Event-ID so the server resumes; it gives
 * up only when the server answers with an error status (an expired token), and then we
 * fetch a new token and reopen with `lastEventId` in the query string.
 */
import { ChatApi } from "./http";
import type { ChatEvent, History, SendResult, TokenResponse, Transport, TransportConfig } from "./types";

const EVENT_TYPES = [
  "message.new",
  "reply.thinking",
  "reply.delta",
  "reply.products",
  "reply.quick_replies",
  "reply.handoff",
  "reply.done",
  "reply.failed",
] as const;

export interface LocalDeps {
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
  /** Delay before reopening a closed stream; tests pass 0. */
  retryDelayMs?: (attempt: number) => number;
}

export class LocalTransport implements Transport {
  private readonly api: ChatApi;
  private readonly ES: typeof EventSource;
  private readonly listeners = new Set<(e: ChatEvent) => void>();
  private source: EventSource | null = null;
  private tokenInfo: TokenResponse | null = null;
  private lastEventId = "";
  private attempts = 0;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly cfg: TransportConfig,
    private readonly deps: LocalDeps = {},
  ) {
    this.api = new ChatApi(cfg, deps.fetch);
    this.ES = deps.EventSource || globalThis.EventSource;
  }

  async connect(): Promise<void> {
    this.closed = false;
    if (!this.tokenInfo) this.tokenInfo = await this.api.token();
    this.open();
  }

  private open(): void {
    if (this.closed || !this.tokenInfo) return;
    const u = new URL(this.cfg.eventsUrl || this.tokenInfo.eventsUrl || "/api/chatbot/events", location.href);
    if (this.cfg.shop) u.searchParams.set("shop", this.cfg.shop);
    u.searchParams.set("token", this.tokenInfo.token);
    if (this.lastEventId) u.searchParams.set("lastEventId", this.lastEventId);
    const es = new this.ES(u.toString(), { withCredentials: false });
    this.source = es;
    es.onopen = () => {
      this.attempts = 0;
      this.emit({ type: "connection", state: "open" });
    };
    es.onerror = () => {
      this.emit({ type: "connection", state: "reconnecting" });
      if (es.readyState === 2 /* CLOSED */) this.reopen();
    };
    for (const type of EVENT_TYPES) {
      es.addEventListener(type, (ev) => {
        const msg = ev as MessageEvent;
        if (msg.lastEventId) this.lastEventId = msg.lastEventId;
        let data: Record<string, unknown>;
        try {
          data = JSON.parse(msg.data);
        } catch {
          return;
        }
        this.emit({ ...data, type } as ChatEvent);
      });
    }
  }

  private reopen(): void {
    this.source?.close();
    this.source = null;
    if (this.closed) return;
    const delay = this.deps.retryDelayMs
      ? this.deps.retryDelayMs(this.attempts)
      : Math.min(30000, 1000 * 2 ** this.attempts) + Math.random() * 500;
    this.attempts++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(async () => {
      try {
        // The usual reason the server refused the stream is an expired token.
        this.tokenInfo = await this.api.token();
        this.open();
      } catch {
        this.reopen();
      }
    }, delay);
  }

  private emit(e: ChatEvent): void {
    for (const cb of this.listeners) cb(e);
  }

  onEvent(cb: (event: ChatEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  async history(): Promise<History> {
    const h = await this.api.history();
    return { messages: h.messages || [], welcome: h.welcome, handoff: !!h.conversation?.handoff };
  }

  send(text: string, clientMessageId: string): Promise<SendResult> {
    return this.api.send(text, clientMessageId);
  }

  async stop(messageId: string): Promise<void> {
    await this.api.stop(messageId);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.source?.close();
    this.source = null;
  }
}
