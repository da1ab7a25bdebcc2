/**
 * The local engine: messages over our JSON routes, live events over SSE.
 * The event stream is authorised by the session cookies (same-origin, so EventSource sends
 * them); the token route only makes sure the conversation exists. EventSource reconnects by
 * itself and sends Last-Event-ID so the server resumes; it gives up only when the server
 * answers with an error status (no conversation yet, too many streams, chat off), and then
 * we call the token route again and reopen with `lastEventId` in the query string.
 *
 * The person chatting can change under an open widget (sign-in or sign-out, maybe in another
 * tab): every route answer names the identity in `X-Chatbot-User`, and the stream says
 * `session.ended`. Then the stream closes, the token route names the new identity, an
 * `identity` event goes out, and only then does the new identity's stream open.
 *
 * Tabs of one browser share one stream (see shared-stream.ts); without Web Locks or
 * BroadcastChannel each tab streams on its own.
 *
 * A server shutting down (a deploy) sends `server.restarting` and closes the stream: the
 * leader then reopens quietly after a short, jittered pause (resuming from the last event
 * id), and says nothing about reconnecting unless that takes long.
 */
import { ChatApi } from "./http";
import { type Relayed, type ShareDeps, type StreamShare, shareStream } from "./shared-stream";
import type { ChatEvent, ChipAction, History, SendResult, TokenResponse, Transport, TransportConfig } from "./types";

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

export interface LocalDeps extends ShareDeps {
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
  /** Delay before reopening a closed stream; tests pass 0. */
  retryDelayMs?: (attempt: number) => number;
  /** Pause before reopening after `server.restarting`; tests pass 0. */
  restartDelayMs?: () => number;
}

export class LocalTransport implements Transport {
  private readonly api: ChatApi;
  private readonly ES: typeof EventSource;
  private readonly listeners = new Set<(e: ChatEvent) => void>();
  private source: EventSource | null = null;
  private tokenInfo: TokenResponse | null = null;
  private user: string | undefined;
  private lastEventId = "";
  private attempts = 0;
  private closed = false;
  /** A token call to re-identify is under way: one at a time, whatever asked for it. */
  private renewing = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Until this time (ms), a dropped stream is the announced restart: no "reconnecting". */
  private quietUntil = 0;
  /** undefined: not set up yet; null: this browser cannot share, the tab streams alone. */
  private share: StreamShare | null | undefined;

  constructor(
    private readonly cfg: TransportConfig,
    private readonly deps: LocalDeps = {},
  ) {
    this.api = new ChatApi(cfg, deps.fetch);
    this.api.onUser = (userId) => {
      if (this.user && userId !== this.user) this.renew();
    };
    this.ES = deps.EventSource || globalThis.EventSource;
  }

  get userId(): string | undefined {
    return this.user;
  }

  async connect(): Promise<void> {
    this.closed = false;
    if (!this.tokenInfo) {
      const info = await this.api.token();
      this.tokenInfo ??= info;
      this.user ??= info.userId;
    }
    if (this.share === undefined) {
      const share = shareStream(this.cfg.shop, this.deps, (r) => this.receive(r));
      this.share = share;
      if (share) await share.elect(() => this.open());
    }
    this.open();
  }

  /** This tab owns the stream: no sharing, or it holds the lock. */
  private leads(): boolean {
    return !this.share || this.share.leader;
  }

  private open(): void {
    if (this.closed || this.renewing || this.source || !this.tokenInfo || !this.leads()) return;
    const u = new URL(this.cfg.eventsUrl || this.tokenInfo.eventsUrl || "/api/chatbot/events", location.href);
    if (this.cfg.shop) u.searchParams.set("shop", this.cfg.shop);
    // No token in the URL: the cookies authorise the stream (URLs end up in logs).
    if (this.lastEventId) u.searchParams.set("lastEventId", this.lastEventId);
    const es = new this.ES(u.toString(), { withCredentials: false });
    this.source = es;
    es.onopen = () => {
      this.attempts = 0;
      this.quietUntil = 0;
      this.emit({ type: "connection", state: "open" });
    };
    es.onerror = () => {
      if (es !== this.source) return;
      if (Date.now() >= this.quietUntil) this.emit({ type: "connection", state: "reconnecting" });
      if (es.readyState === 2 /* CLOSED */) this.reopen();
    };
    for (const type of EVENT_TYPES) {
      es.addEventListener(type, (ev) => {
        const msg = ev as MessageEvent;
        let data: Record<string, unknown>;
        try {
          data = JSON.parse(msg.data);
        } catch {
          return;
        }
        this.emit({ ...data, type } as ChatEvent, msg.lastEventId);
      });
    }
    // The server closes the stream right after this; whoever chats now, the token route says.
    es.addEventListener("session.ended", () => this.renew());
    es.addEventListener("server.restarting", () => this.restarting(es));
  }

  /**
   * The server is about to close this stream for a restart. Close it ourselves (so the
   * browser does not retry at once into a process that is going away) and reopen after a
   * pause, from the last event id; the other tabs keep listening to this one's relay.
   */
  private restarting(es: EventSource): void {
    if (es !== this.source || this.closed) return;
    const delay = this.deps.restartDelayMs ? this.deps.restartDelayMs() : 1000 + Math.random() * 2000;
    this.quietUntil = Date.now() + delay + 15000;
    this.stopStream();
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private stopStream(): void {
    clearTimeout(this.retryTimer);
    this.source?.close();
    this.source = null;
  }

  /** The server refused or dropped the stream for good: try again later, with backoff. */
  private reopen(): void {
    this.stopStream();
    if (this.closed) return;
    const delay = this.deps.retryDelayMs
      ? this.deps.retryDelayMs(this.attempts)
      : Math.min(30000, 1000 * 2 ** this.attempts) + Math.random() * 500;
    this.attempts++;
    this.retryTimer = setTimeout(() => this.renew(), delay);
  }

  /**
   * Close the stream, ask the token route who is chatting (it also creates their
   * conversation, which a refused stream may lack), announce a new identity, reopen.
   */
  private async renew(): Promise<void> {
    if (this.renewing || this.closed) return;
    this.renewing = true;
    this.stopStream();
    let info: TokenResponse;
    try {
      info = await this.api.token();
    } catch {
      this.renewing = false;
      this.reopen();
      return;
    }
    this.renewing = false;
    if (this.closed) return;
    this.tokenInfo = info;
    this.identify(info.userId, info.userName, true);
    this.open();
  }

  /**
   * Adopts a new identity: from our token call (`mine`) or another tab's. The panel hears
   * it before any event of the new identity's stream, so it can reset first.
   */
  private identify(userId: string, userName: string | undefined, mine: boolean): void {
    if (!userId || userId === this.user) return;
    this.user = userId;
    // Resume points belong to the old conversation; its replay would repeat deltas here.
    this.lastEventId = "";
    const event: ChatEvent = { type: "identity", userId, userName };
    this.deliver(event);
    // The leader relays it like every event; a follower tells the leader and the others.
    if (mine || this.share?.leader) this.share?.publish({ event, user: userId });
    if (!mine && this.source) {
      // Another tab learnt it first: our stream still belongs to the old identity.
      this.stopStream();
      this.open();
    }
  }

  /** An event another tab relayed. */
  private receive(r: Relayed): void {
    if (this.closed) return;
    const e = r.event;
    if (e.type === "identity") {
      this.identify(e.userId, e.userName, false);
      return;
    }
    // A leader has its own stream; a stream of another identity is none of this tab's business.
    if (this.leads() || r.user !== this.user) return;
    this.deliver(e, r.id);
  }

  /** An event of this tab's own stream: the leader relays it to the other tabs. */
  private emit(e: ChatEvent, id?: string): void {
    this.deliver(e, id);
    if (this.share?.leader) this.share.publish({ event: e, id, user: this.user });
  }

  private deliver(e: ChatEvent, id?: string): void {
    if (id) this.lastEventId = id;
    for (const cb of this.listeners) cb(e);
  }

  onEvent(cb: (event: ChatEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  async history(): Promise<History> {
    const h = await this.api.history();
    return {
      messages: h.messages || [],
      welcome: h.welcome,
      handoff: !!h.conversation?.handoff,
      contactEmail: h.conversation?.contactEmail || undefined,
    };
  }

  async leaveEmail(email: string): Promise<void> {
    await this.api.contactEmail(email);
  }

  send(text: string, clientMessageId: string, action?: ChipAction): Promise<SendResult> {
    return this.api.send(text, clientMessageId, action);
  }

  rate(score: number, comment?: string): Promise<unknown> {
    return this.api.rate(score, comment);
  }

  async stop(messageId: string): Promise<void> {
    await this.api.stop(messageId);
  }

  close(): void {
    this.closed = true;
    this.stopStream();
    // Hands the lock, and so the stream, to another tab.
    this.share?.close();
    this.share = undefined;
  }
}
