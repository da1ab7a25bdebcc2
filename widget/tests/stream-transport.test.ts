import { describe, expect, it, vi } from "vitest";
import {
  type StreamChannelLike,
  type StreamClientLike,
  type StreamEvent,
  type StreamMessage,
  StreamTransport,
} from "../src/transport/stream";
import type { ChatEvent, TransportConfig } from "../src/transport/types";

const cfg: TransportConfig = {
  shop: "demo",
  csrfToken: "csrf",
  tokenUrl: "/t",
  messageUrl: "/m",
  historyUrl: "/h",
  eventsUrl: "/e",
  stopUrl: "/s",
  ratingUrl: "/r",
};

const TOKEN = {
  token: "jwt-1",
  apiKey: "key",
  userId: "guest-1",
  userName: "Guest",
  engine: "stream",
  channel: { type: "messaging", id: "demo-guest-1" },
  assistantUserId: "shop-assistant",
  baseUrl: "http://127.0.0.1:9999",
};

function fakeStream(messages: StreamMessage[] = []) {
  const handlers = new Map<string, (e: StreamEvent) => void>();
  const channel: StreamChannelLike & { sent: unknown[]; reads: number } = {
    sent: [],
    reads: 0,
    state: { messages },
    watch: vi.fn(async () => ({})),
    on: (type, cb) => {
      handlers.set(type, cb);
      return { unsubscribe: () => handlers.delete(type) };
    },
    sendEvent: async (e) => {
      channel.sent.push(e);
      return {};
    },
    markRead: async () => {
      channel.reads++;
      return {};
    },
    countUnread: () => 3,
  };
  let provider: (() => Promise<string>) | null = null;
  const client: StreamClientLike = {
    connectUser: vi.fn(async (_user, p) => {
      provider = p;
      await p();
    }),
    disconnectUser: vi.fn(async () => {}),
    channel: vi.fn(() => channel),
    on: (type, cb) => {
      handlers.set(`client:${type}`, cb);
      return { unsubscribe: () => {} };
    },
  };
  const chat = { getInstance: vi.fn(() => client) };
  let tokens = 0;
  const fetch = vi.fn(async (url: string, _init?: RequestInit) => {
    if (url === "/t") {
      tokens++;
      return new Response(JSON.stringify({ ...TOKEN, token: `jwt-${tokens}` }), { status: 200 });
    }
    return new Response(JSON.stringify({ message: { id: "m1" } }), { status: 202 });
  });
  const transport = new StreamTransport(cfg, { chat, fetch: fetch as unknown as typeof globalThis.fetch });
  const events: ChatEvent[] = [];
  transport.onEvent((e) => events.push(e));
  const fire = (e: StreamEvent) => handlers.get(e.type)?.(e) ?? handlers.get(`client:${e.type}`)?.(e);
  return { transport, chat, client, channel, fetch, events, fire, provider: () => provider };
}

const assistant = (partial: Partial<StreamMessage>): StreamMessage => ({
  id: "a1",
  text: "",
  user: { id: "shop-assistant" },
  ai_generated: true,
  ...partial,
});

describe("stream transport", () => {
  it("connects with the token route's key, base URL, user and channel", async () => {
    const s = fakeStream();
    await s.transport.connect();
    expect(s.chat.getInstance).toHaveBeenCalledWith("key", { baseURL: "http://127.0.0.1:9999" });
    expect(s.client.connectUser).toHaveBeenCalledWith({ id: "guest-1", name: "Guest" }, expect.any(Function));
    expect(s.client.channel).toHaveBeenCalledWith("messaging", "demo-guest-1");
    expect(s.channel.watch).toHaveBeenCalled();
    // The provider's first call reused the token; an expiry asks the token route again.
    expect(s.fetch).toHaveBeenCalledTimes(1);
    expect(await s.provider()?.()).toBe("jwt-2");
    expect(s.fetch).toHaveBeenCalledTimes(2);
  });

  it("maps history: roles by user id, attachments to cards and quick replies, unread from Stream", async () => {
    const s = fakeStream([
      { id: "u1", text: "boots?", user: { id: "guest-1" }, client_message_id: "cm-1" },
      assistant({
        id: "a1",
        text: "Yes",
        generating: false,
        reply_to: "u1",
        attachments: [
          {
            type: "product",
            sku: "B",
            name: "Boots",
            price: "129.00",
            currency: "USD",
            stock: 0,
            in_stock: false,
            url: "/p/b",
            image_url: "/i/b.jpg",
          },
          { type: "quick_replies", options: ["Shipping", "Returns"] },
        ],
      }),
      { id: "x1", text: "I'm Anna from the shop", user: { id: "staff-7" } },
    ]);
    await s.transport.connect();
    const h = await s.transport.history();
    expect(h.unread).toBe(3);
    expect(h.messages.map((m) => [m.role, m.status])).toEqual([
      ["shopper", "received"],
      ["assistant", "done"],
      ["staff", "received"],
    ]);
    expect(h.messages[0].clientMessageId).toBe("cm-1");
    expect(h.messages[1].replyTo).toBe("u1");
    expect(h.messages[1].products).toEqual([
      {
        sku: "B",
        name: "Boots",
        price: "129.00",
        currency: "USD",
        stock: 0,
        inStock: false,
        url: "/p/b",
        imageUrl: "/i/b.jpg",
      },
    ]);
    expect(h.messages[1].quickReplies).toEqual(["Shipping", "Returns"]);
  });

  it("maps the AI streaming sequence onto the panel's events", async () => {
    const s = fakeStream();
    await s.transport.connect();
    s.fire({ type: "message.new", message: assistant({ text: "" }) });
    s.fire({ type: "ai_indicator.update", ai_state: "AI_STATE_THINKING", message_id: "a1" });
    s.fire({ type: "ai_indicator.update", ai_state: "AI_STATE_GENERATING", message_id: "a1" });
    s.fire({ type: "message.updated", message: assistant({ text: "Hel", generating: true }) });
    s.fire({ type: "message.updated", message: assistant({ text: "Hello", generating: true }) });
    s.fire({ type: "ai_indicator.clear" });
    s.fire({ type: "message.updated", message: assistant({ text: "Hello!", generating: false }) });
    expect(s.events).toEqual([
      { type: "message.new", message: expect.objectContaining({ id: "a1", role: "assistant", status: "pending" }) },
      { type: "reply.thinking", messageId: "a1" },
      { type: "reply.thinking", messageId: "a1" },
      { type: "reply.text", messageId: "a1", text: "Hel" },
      { type: "reply.text", messageId: "a1", text: "Hello" },
      { type: "reply.idle", messageId: "a1" },
      { type: "reply.done", message: expect.objectContaining({ id: "a1", text: "Hello!", status: "done" }) },
    ]);
  });

  it("maps errors, stop echoes, staff messages, edits and connection changes", async () => {
    const s = fakeStream();
    await s.transport.connect();
    s.fire({ type: "message.new", message: assistant({ id: "a2", text: "" }) });
    s.fire({ type: "ai_indicator.update", ai_state: "AI_STATE_ERROR", message_id: "a2" });
    s.fire({ type: "ai_indicator.stop", message_id: "a2" });
    s.fire({ type: "message.new", message: { id: "s1", text: "Anna here", user: { id: "staff-7" } } });
    s.fire({ type: "message.updated", message: { id: "u1", text: "edited", user: { id: "guest-1" } } });
    s.fire({ type: "connection.changed", online: false });
    s.fire({ type: "typing.start" });
    expect(s.events.slice(1)).toEqual([
      { type: "reply.failed", message: expect.objectContaining({ id: "a2", status: "failed" }), retryable: true },
      { type: "reply.idle", messageId: "a2" },
      { type: "message.new", message: expect.objectContaining({ id: "s1", role: "staff" }) },
      { type: "message.new", message: expect.objectContaining({ id: "u1", role: "shopper", text: "edited" }) },
      { type: "connection", state: "reconnecting" },
    ]);
  });

  it("sends through our message route, not channel.sendMessage", async () => {
    const s = fakeStream();
    await s.transport.connect();
    await s.transport.send("hello", "cm-9");
    const [url, init] = s.fetch.mock.calls[1] as unknown as [string, RequestInit];
    expect(url).toBe("/m");
    expect(JSON.parse(String(init.body))).toEqual({ shop: "demo", text: "hello", clientMessageId: "cm-9" });
    expect((init.headers as Record<string, string>)["X-CSRFToken"]).toBe("csrf");
  });

  it("its route calls refresh a stale CSRF token once, like the local engine's", async () => {
    const s = fakeStream();
    await s.transport.connect();
    expect(s.transport.userId).toBe("guest-1");
    const seen: string[] = [];
    s.fetch.mockImplementation(async (url: string, init?: RequestInit) => {
      const csrf = (init?.headers as Record<string, string> | undefined)?.["X-CSRFToken"];
      seen.push(`${init?.method || "GET"} ${url.replace(location.origin, "")} ${csrf || ""}`.trim());
      if (url.includes("/h")) return new Response("{}", { status: 200, headers: { "X-CSRFToken": "fresh" } });
      if (csrf !== "fresh") {
        return new Response(JSON.stringify({ error: { code: "csrf_failed", message: "CSRF" } }), { status: 403 });
      }
      return new Response(JSON.stringify({ message: { id: "m1" } }), { status: 202 });
    });
    await s.transport.send("hello", "cm-9");
    expect(seen).toEqual(["POST /m csrf", "GET /h?shop=demo", "POST /m fresh"]);
  });

  it("stop sends ai_indicator.stop on the channel and tells our stop route", async () => {
    const s = fakeStream();
    await s.transport.connect();
    await s.transport.stop("a1");
    expect(s.channel.sent).toEqual([{ type: "ai_indicator.stop", message_id: "a1" }]);
    expect(s.fetch.mock.calls.map((c) => c[0])).toContain("/s");
  });

  it("speaks in our message ids (chatbot_message_id) and Stream's only towards Stream", async () => {
    const s = fakeStream();
    await s.transport.connect();
    s.fire({ type: "message.new", message: assistant({ id: "stream-r", chatbot_message_id: 42, generating: true }) });
    s.fire({ type: "ai_indicator.update", ai_state: "AI_STATE_THINKING", message_id: "stream-r" });
    s.fire({
      type: "message.updated",
      message: assistant({
        id: "stream-r",
        chatbot_message_id: 42,
        text: "Sorry",
        generating: false,
        ai_error: "x",
        retryable: false,
      }),
    });
    s.fire({
      type: "message.new",
      message: { id: "st-1", text: "Anna", user: { id: "shop-assistant" }, chatbot_role: "staff" },
    });
    s.fire({
      type: "message.new",
      message: {
        id: "sys-1",
        text: "Back",
        user: { id: "shop-assistant" },
        chatbot_role: "system",
        chatbot_notice: "back",
      },
    });
    expect(s.events).toEqual([
      { type: "message.new", message: expect.objectContaining({ id: "42", status: "pending" }) },
      { type: "reply.thinking", messageId: "42" },
      { type: "reply.failed", message: expect.objectContaining({ id: "42", status: "failed" }), retryable: false },
      { type: "message.new", message: expect.objectContaining({ id: "st-1", role: "staff" }) },
      { type: "message.new", message: expect.objectContaining({ id: "sys-1", role: "system", notice: "back" }) },
    ]);
    await s.transport.stop("42");
    expect(s.channel.sent).toEqual([{ type: "ai_indicator.stop", message_id: "stream-r" }]);
    const stopBody = s.fetch.mock.calls.find((c) => c[0] === "/s")?.[1] as RequestInit;
    expect(JSON.parse(String(stopBody.body))).toEqual({ shop: "demo", messageId: "42" });
    s.fire({
      type: "message.updated",
      message: assistant({ id: "stream-r", chatbot_message_id: 42, text: "Hi", stopped: true }),
    });
    expect(s.events.at(-1)).toEqual({ type: "reply.done", message: expect.objectContaining({ status: "stopped" }) });
  });

  it("sends the rating to the Django route with the CSRF token, not through Stream", async () => {
    const s = fakeStream();
    await s.transport.connect();
    await s.transport.rate(4, "Quick answer");
    const call = s.fetch.mock.calls.find((c) => c[0] === "/r");
    const init = call?.[1] as RequestInit;
    expect(init.method).toBe("POST");
    expect((init.headers as Record<string, string>)["X-CSRFToken"]).toBe("csrf");
    expect(JSON.parse(String(init.body))).toEqual({ shop: "demo", score: 4, comment: "Quick answer" });
    expect(s.channel.sent).toEqual([]);
  });

  it("marks read on Stream and disconnects on close", async () => {
    const s = fakeStream();
    await s.transport.connect();
    s.transport.markRead();
    await Promise.resolve();
    expect(s.channel.reads).toBe(1);
    s.transport.close();
    expect(s.client.disconnectUser).toHaveBeenCalled();
  });

  it("switches Stream user and channel when a route answer names someone else", async () => {
    const s = fakeStream();
    await s.transport.connect();
    expect(s.transport.userId).toBe("guest-1");
    s.fetch.mockImplementation(async (url: string) => {
      const customer = { ...TOKEN, userId: "c-1", userName: "Alex", channel: { type: "messaging", id: "demo-c-1" } };
      const body = url === "/t" ? customer : { message: { id: "m2" } };
      return new Response(JSON.stringify(body), {
        status: url === "/t" ? 200 : 202,
        headers: { "X-Chatbot-User": "c-1" },
      });
    });
    await s.transport.send("hi", "cm-1"); // signed in meanwhile: the answer says c-1
    await vi.waitFor(() => expect(s.events.some((e) => e.type === "identity")).toBe(true));
    expect(s.events.find((e) => e.type === "identity")).toEqual({ type: "identity", userId: "c-1", userName: "Alex" });
    expect(s.client.disconnectUser).toHaveBeenCalled();
    expect(s.client.connectUser).toHaveBeenLastCalledWith({ id: "c-1", name: "Alex" }, expect.any(Function));
    expect(s.client.channel).toHaveBeenLastCalledWith("messaging", "demo-c-1");
    expect(s.transport.userId).toBe("c-1");
  });
});
