import { describe, expect, it, vi } from "vitest";
import { ChatHttpError } from "../src/transport/http";
import { LocalTransport } from "../src/transport/local";
import type { ChatEvent, TransportConfig } from "../src/transport/types";
import { flush } from "./helpers";

const cfg: TransportConfig = {
  shop: "demo",
  csrfToken: "csrf-1",
  tokenUrl: "/api/chatbot/stream-chat-token",
  messageUrl: "/api/chatbot/stream-message",
  historyUrl: "/api/chatbot/history",
  eventsUrl: "/api/chatbot/events",
  stopUrl: "/api/chatbot/stop",
};

class FakeEventSource {
  static all: FakeEventSource[] = [];
  readyState = 0;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  closed = false;
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
}

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

function setup() {
  FakeEventSource.all = [];
  let tokens = 0;
  const fetch = vi.fn(async (url: string, _init?: RequestInit) => {
    if (url.endsWith("stream-chat-token")) {
      tokens++;
      return jsonResponse(200, { token: `t${tokens}`, apiKey: "", userId: "g1", engine: "local" });
    }
    if (url.includes("/history"))
      return jsonResponse(200, { conversation: { handoff: true }, messages: [], welcome: "Hi" });
    if (url.endsWith("stream-message")) {
      return jsonResponse(202, { message: { id: "1", role: "shopper", text: "x", status: "received" }, reply: null });
    }
    return jsonResponse(202, {});
  });
  const transport = new LocalTransport(cfg, {
    fetch: fetch as unknown as typeof globalThis.fetch,
    EventSource: FakeEventSource as unknown as typeof EventSource,
    retryDelayMs: () => 0,
  });
  const events: ChatEvent[] = [];
  transport.onEvent((e) => events.push(e));
  return { transport, fetch, events };
}

describe("local transport", () => {
  it("posts the token route once with CSRF and cookies, then opens the event stream", async () => {
    const { transport, fetch } = setup();
    await transport.connect();
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe("/api/chatbot/stream-chat-token");
    expect(init?.method).toBe("POST");
    expect(init?.credentials).toBe("same-origin");
    expect((init?.headers as Record<string, string> | undefined)?.["X-CSRFToken"]).toBe("csrf-1");
    expect(JSON.parse(String(init?.body))).toEqual({ shop: "demo" });
    const es = new URL(FakeEventSource.all[0].url);
    expect(es.pathname).toBe("/api/chatbot/events");
    expect(es.searchParams.get("shop")).toBe("demo");
    expect(es.searchParams.get("token")).toBe("t1");
  });

  it("passes SSE events through with their type", async () => {
    const { transport, events } = setup();
    await transport.connect();
    const es = FakeEventSource.all[0];
    es.fire("reply.delta", { messageId: "r1", text: "Hi" }, "7");
    es.fire("reply.done", { message: { id: "r1", text: "Hi!" } }, "8");
    es.fire("reply.delta", "not json");
    expect(events).toEqual([
      { type: "reply.delta", messageId: "r1", text: "Hi" },
      { type: "reply.done", message: { id: "r1", text: "Hi!" } },
    ]);
  });

  it("when the server closes the stream, gets a new token and resumes after the last event", async () => {
    const { transport, fetch, events } = setup();
    await transport.connect();
    const first = FakeEventSource.all[0];
    first.fire("reply.delta", { messageId: "r1", text: "a" }, "41");
    first.readyState = 2;
    first.onerror?.();
    expect(events.at(-1)).toEqual({ type: "connection", state: "reconnecting" });
    await new Promise((r) => setTimeout(r, 5));
    await flush();
    expect(fetch.mock.calls.filter(([u]) => String(u).endsWith("stream-chat-token"))).toHaveLength(2);
    const second = new URL(FakeEventSource.all[1].url);
    expect(second.searchParams.get("token")).toBe("t2");
    expect(second.searchParams.get("lastEventId")).toBe("41");
    transport.close();
  });

  it("leaves transient errors to EventSource's own reconnect", async () => {
    const { transport } = setup();
    await transport.connect();
    const es = FakeEventSource.all[0];
    es.readyState = 0; // CONNECTING: the browser retries with Last-Event-ID itself
    es.onerror?.();
    await flush();
    expect(FakeEventSource.all).toHaveLength(1);
    expect(es.closed).toBe(false);
  });

  it("sends messages as JSON and maps history", async () => {
    const { transport, fetch } = setup();
    const res = await transport.send("hello", "cm-1");
    expect(res.message.id).toBe("1");
    const [, init] = fetch.mock.calls[0];
    expect(JSON.parse(String(init?.body))).toEqual({ shop: "demo", text: "hello", clientMessageId: "cm-1" });
    expect(await transport.history()).toEqual({ messages: [], welcome: "Hi", handoff: true });
    expect(String(fetch.mock.calls[1][0])).toContain("/api/chatbot/history?shop=demo");
    await transport.stop("r1");
    expect(JSON.parse(String(fetch.mock.calls[2][1]?.body))).toEqual({ shop: "demo", messageId: "r1" });
  });

  it("turns error bodies into ChatHttpError with code and Retry-After", async () => {
    const transport = new LocalTransport(cfg, {
      fetch: (async () =>
        jsonResponse(
          429,
          { error: { code: "rate_limited", message: "wait" } },
          { "Retry-After": "12" },
        )) as typeof fetch,
    });
    const err = await transport.send("x", "c").catch((e) => e);
    expect(err).toBeInstanceOf(ChatHttpError);
    expect(err).toMatchObject({ status: 429, code: "rate_limited", retryAfter: 12, message: "wait" });
  });
});
