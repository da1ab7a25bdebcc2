/** Doubles for the local engine: the Django routes, EventSource, Web Locks, BroadcastChannel. */
import { vi } from "vitest";
import type { ChannelLike, LocksLike } from "../src/transport/shared-stream";
import type { Message, TransportConfig } from "../src/transport/types";

export const cfg: TransportConfig = {
  shop: "demo",
  csrfToken: "csrf-1",
  tokenUrl: "/api/chatbot/stream-chat-token",
  messageUrl: "/api/chatbot/stream-message",
  historyUrl: "/api/chatbot/history",
  eventsUrl: "/api/chatbot/events",
  stopUrl: "/api/chatbot/stop",
};

export class FakeEventSource {
  static all: FakeEventSource[] = [];
  readyState = 0;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  closed = false;
  /** Which fake tab opened it (set by tab-specific subclasses). */
  tab = "";
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, cb: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) || []), cb]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  fire(type: string, data: unknown, id = "") {
    for (const cb of this.listeners.get(type) || []) {
      cb(new MessageEvent(type, { data: typeof data === "string" ? data : JSON.stringify(data), lastEventId: id }));
    }
  }
  get params(): URLSearchParams {
    return new URL(this.url).searchParams;
  }
  static open(): FakeEventSource[] {
    return FakeEventSource.all.filter((es) => !es.closed);
  }
}

/** An EventSource class that tags its streams with a tab name. */
export function tabEventSource(tab: string): typeof EventSource {
  return class extends FakeEventSource {
    constructor(url: string) {
      super(url);
      this.tab = tab;
    }
  } as unknown as typeof EventSource;
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

export interface Call {
  method: string;
  path: string;
  csrf?: string;
  body?: Record<string, unknown>;
}

/**
 * The chat routes of one browser (one cookie jar): `user` is whoever the session cookies
 * name right now; tests change it to sign in or out "in another tab".
 */
export function fakeServer() {
  let nextId = 100;
  const server = {
    user: "g1",
    names: { g1: "Guest" } as Record<string, string>,
    csrf: "csrf-1",
    calls: [] as Call[],
    histories: new Map<string, Message[]>(),
    /** Runs before a route answers; a test may hold a route back with it. */
    gate: (_path: string): Promise<void> | undefined => undefined,
    count: (path: string) => server.calls.filter((c) => c.path.endsWith(path)).length,
    fetch: vi.fn(async (url: string, init?: RequestInit): Promise<Response> => {
      const method = init?.method || "GET";
      const path = new URL(url, location.href).pathname;
      const csrf = (init?.headers as Record<string, string> | undefined)?.["X-CSRFToken"];
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      server.calls.push({ method, path, csrf, body });
      await server.gate(path);
      if (method === "POST" && csrf !== server.csrf) {
        // Django's CSRF failure answer: no fresh token on it, the widget must ask for one.
        return jsonResponse(403, { error: { code: "csrf_failed", message: "CSRF" } });
      }
      const user = server.user;
      const headers = { "X-Chatbot-User": user, "X-CSRFToken": server.csrf };
      const mine = server.histories.get(user) || [];
      server.histories.set(user, mine);
      if (path.endsWith("stream-chat-token")) {
        return jsonResponse(
          200,
          { token: "", apiKey: "", userId: user, userName: server.names[user], engine: "local" },
          headers,
        );
      }
      if (path.endsWith("/history")) {
        return jsonResponse(200, { conversation: { handoff: false }, messages: mine, welcome: "" }, headers);
      }
      if (path.endsWith("stream-message")) {
        const message: Message = {
          id: String(nextId++),
          clientMessageId: body.clientMessageId,
          role: "shopper",
          text: body.text,
          status: "received",
        };
        const reply: Message = {
          id: String(nextId++),
          role: "assistant",
          text: "",
          status: "pending",
          replyTo: message.id,
        };
        mine.push(message, reply);
        return jsonResponse(202, { message, reply }, headers);
      }
      return jsonResponse(202, {}, headers);
    }),
  };
  return server;
}

/** Web Locks for the tabs of one fake browser: exclusive, FIFO, `ifAvailable`. */
export class FakeLocks implements LocksLike {
  private held = new Set<string>();
  private waiting = new Map<string, (() => void)[]>();

  async request(name: string, options: { ifAvailable?: boolean }, cb: (lock: unknown) => unknown): Promise<unknown> {
    await Promise.resolve(); // the real callback never runs inside request()
    if (this.held.has(name)) {
      if (options.ifAvailable) return cb(null);
      await new Promise<void>((r) => this.waiting.set(name, [...(this.waiting.get(name) || []), r]));
    }
    this.held.add(name);
    try {
      return await cb({ name });
    } finally {
      this.held.delete(name);
      const next = this.waiting.get(name)?.shift();
      next?.();
    }
  }
}

/** BroadcastChannel between the fake tabs: async, structured-cloned, not to the sender. */
export function fakeBroadcast() {
  const open = new Set<FakeChannel>();
  class FakeChannel implements ChannelLike {
    onmessage: ((ev: MessageEvent) => void) | null = null;
    constructor(readonly name: string) {
      open.add(this);
    }
    postMessage(data: unknown): void {
      const copy = structuredClone(data);
      for (const other of open) {
        if (other === this || other.name !== this.name) continue;
        setTimeout(() => {
          if (open.has(other)) other.onmessage?.(new MessageEvent("message", { data: copy }));
        }, 0);
      }
    }
    close(): void {
      open.delete(this);
    }
  }
  return { BroadcastChannel: FakeChannel, open };
}

/** Lets timers (0 ms), fetches and broadcast deliveries run. */
export async function settle(rounds = 6) {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}
