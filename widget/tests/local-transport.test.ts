import { beforeEach, describe, expect, it, vi } from "vitest";
import { ChatHttpError } from "../src/transport/http";
import { type LocalDeps, LocalTransport } from "../src/transport/local";
import type { ChatEvent } from "../src/transport/types";
import { cfg, FakeEventSource, fakeServer, jsonResponse, settle } from "./fakes";
import { flush } from "./helpers";

function setup(deps: LocalDeps = {}) {
  const server = fakeServer();
  const transport = new LocalTransport(cfg, {
    fetch: server.fetch as unknown as typeof fetch,
    EventSource: FakeEventSource as unknown as typeof EventSource,
    retryDelayMs: () => 0,
    locks: null, // one tab: sharing is tested in shared-stream.test.ts
    ...deps,
  });
  const events: ChatEvent[] = [];
  // What the panel would see, with how many streams had been opened at that moment.
  const opened: number[] = [];
  transport.onEvent((e) => {
    events.push(e);
    opened.push(FakeEventSource.all.length);
  });
  return { transport, server, events, opened };
}

beforeEach(() => {
  FakeEventSource.all = [];
});

describe("local transport", () => {
  it("posts the token route once with CSRF and cookies, then opens the event stream", async () => {
    const { transport, server } = setup();
    await transport.connect();
    const [url, init] = server.fetch.mock.calls[0];
    expect(url).toBe("/api/chatbot/stream-chat-token");
    expect(init?.method).toBe("POST");
    expect(init?.credentials).toBe("same-origin");
    expect((init?.headers as Record<string, string> | undefined)?.["X-CSRFToken"]).toBe("csrf-1");
    expect(JSON.parse(String(init?.body))).toEqual({ shop: "demo" });
    expect(FakeEventSource.all).toHaveLength(1);
    expect(transport.userId).toBe("g1");
  });

  it("puts no token in the events URL: the session cookies authorise the stream", async () => {
    const { transport, server } = setup();
    server.fetch.mockImplementationOnce(async () =>
      // Even a token route that still answers with a token must not leak it into the URL.
      jsonResponse(200, { token: "secret", apiKey: "", userId: "g1", engine: "local" }),
    );
    await transport.connect();
    const es = new URL(FakeEventSource.all[0].url);
    expect(es.pathname).toBe("/api/chatbot/events");
    expect([...es.searchParams.keys()]).toEqual(["shop"]);
    expect(es.searchParams.get("shop")).toBe("demo");
    expect(FakeEventSource.all[0].url).not.toContain("secret");
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

  it("when the server closes the stream, calls the token route again and resumes after the last event", async () => {
    const { transport, server, events } = setup();
    await transport.connect();
    const first = FakeEventSource.all[0];
    first.fire("reply.delta", { messageId: "r1", text: "a" }, "41");
    first.readyState = 2; // 404 no_conversation, 429 too_many_streams, 403, 503: EventSource gives up
    first.onerror?.();
    expect(events.at(-1)).toEqual({ type: "connection", state: "reconnecting" });
    await settle();
    expect(server.count("stream-chat-token")).toBe(2);
    const second = FakeEventSource.all[1].params;
    expect(second.get("lastEventId")).toBe("41");
    expect(second.has("token")).toBe(false);
    // Same person: nothing for the panel to reset.
    expect(events.some((e) => e.type === "identity")).toBe(false);
    transport.close();
  });

  it("keeps retrying with backoff while the token route fails", async () => {
    const delays: number[] = [];
    const { transport, server } = setup({
      retryDelayMs: (n) => {
        delays.push(n);
        return 0;
      },
    });
    await transport.connect();
    let fail = 2;
    server.gate = (path) => {
      if (path.endsWith("stream-chat-token") && fail-- > 0) return Promise.reject(new TypeError("offline"));
      return undefined;
    };
    FakeEventSource.all[0].readyState = 2;
    FakeEventSource.all[0].onerror?.();
    await settle(10);
    expect(delays).toEqual([0, 1, 2]);
    expect(FakeEventSource.open()).toHaveLength(1);
    transport.close();
  });

  it("on server.restarting: reopens quietly from the last event id, without the token route", async () => {
    const { transport, server, events } = setup({ restartDelayMs: () => 0 });
    await transport.connect();
    const first = FakeEventSource.all[0];
    first.fire("reply.delta", { messageId: "r1", text: "a" }, "52");
    first.fire("server.restarting", {});
    expect(first.closed).toBe(true);
    first.onerror?.(); // the server's close, after we closed: not ours any more
    await settle();
    expect(FakeEventSource.all).toHaveLength(2);
    expect(FakeEventSource.all[1].params.get("lastEventId")).toBe("52");
    expect(server.count("stream-chat-token")).toBe(1);
    // The new stream failing at first (the new process not up yet) is still no error to show.
    FakeEventSource.all[1].readyState = 0;
    FakeEventSource.all[1].onerror?.();
    expect(events.some((e) => e.type === "connection" && e.state === "reconnecting")).toBe(false);
    FakeEventSource.all[1].onopen?.();
    FakeEventSource.all[1].onerror?.(); // a later, unannounced drop is shown again
    expect(events.at(-1)).toEqual({ type: "connection", state: "reconnecting" });
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

  it("on session.ended: closes the stream, asks who chats now, announces them, then opens their stream", async () => {
    const { transport, server, events, opened } = setup();
    await transport.connect();
    const first = FakeEventSource.all[0];
    first.fire("reply.delta", { messageId: "r1", text: "a" }, "41");
    server.user = "u7";
    server.names.u7 = "Ann";
    first.fire("session.ended", { reason: "signed_in" }, "42");
    // Closed by us at once: no error-driven reopen races the re-identification.
    expect(first.closed).toBe(true);
    await settle();
    expect(server.count("stream-chat-token")).toBe(2);
    const i = events.findIndex((e) => e.type === "identity");
    expect(events[i]).toEqual({ type: "identity", userId: "u7", userName: "Ann" });
    expect(opened[i]).toBe(1); // the identity went out before the new stream opened
    expect(FakeEventSource.all).toHaveLength(2);
    // The new person's stream starts fresh: the old resume point is another conversation's.
    expect(FakeEventSource.all[1].params.has("lastEventId")).toBe(false);
    expect(transport.userId).toBe("u7");
  });

  it("a route answer naming someone else triggers one re-identification, however many say so", async () => {
    const { transport, server, events, opened } = setup();
    await transport.connect();
    server.user = "u7";
    await Promise.all([transport.send("hi", "cm-1"), transport.history(), transport.stop("r1")]);
    await settle();
    // Three answers said "u7"; the token route's own answer says it too: still one call.
    expect(server.count("stream-chat-token")).toBe(2);
    expect(events.filter((e) => e.type === "identity")).toEqual([{ type: "identity", userId: "u7" }]);
    expect(opened[events.findIndex((e) => e.type === "identity")]).toBe(1);
    expect(FakeEventSource.all[0].closed).toBe(true);
    expect(FakeEventSource.open()).toHaveLength(1);
    // Later answers agree with the new identity: nothing more happens.
    await transport.history();
    await settle();
    expect(server.count("stream-chat-token")).toBe(2);
  });

  it("also reads the identity header of error answers", async () => {
    const { transport, server, events } = setup();
    await transport.connect();
    server.fetch.mockImplementationOnce(async () =>
      jsonResponse(429, { error: { code: "rate_limited", message: "wait" } }, { "X-Chatbot-User": "u7" }),
    );
    server.user = "u7";
    await expect(transport.send("x", "c")).rejects.toBeInstanceOf(ChatHttpError);
    await settle();
    expect(events.filter((e) => e.type === "identity")).toEqual([{ type: "identity", userId: "u7" }]);
  });

  it("ignores an answer that names the identity it already has", async () => {
    const { transport, server, events } = setup();
    await transport.connect();
    await transport.send("x", "c");
    await transport.history();
    await settle();
    expect(server.count("stream-chat-token")).toBe(1);
    expect(events.filter((e) => e.type === "identity")).toEqual([]);
    expect(FakeEventSource.open()).toHaveLength(1);
  });

  it("a refused stream whose token answer names someone else announces them before reopening", async () => {
    const { transport, server, events, opened } = setup();
    await transport.connect();
    const first = FakeEventSource.all[0];
    first.fire("reply.delta", { messageId: "r1", text: "a" }, "41");
    server.user = "g2"; // signed out elsewhere: the old stream is refused (404 no_conversation)
    first.readyState = 2;
    first.onerror?.();
    await settle();
    const i = events.findIndex((e) => e.type === "identity");
    expect(events[i]).toMatchObject({ type: "identity", userId: "g2" });
    expect(opened[i]).toBe(1);
    expect(FakeEventSource.all[1].params.has("lastEventId")).toBe(false);
  });

  it("sends messages as JSON and maps history", async () => {
    const { transport, server } = setup();
    const res = await transport.send("hello", "cm-1");
    expect(res.message).toMatchObject({ text: "hello", clientMessageId: "cm-1" });
    const [, init] = server.fetch.mock.calls[0];
    expect(JSON.parse(String(init?.body))).toEqual({ shop: "demo", text: "hello", clientMessageId: "cm-1" });
    const h = await transport.history();
    expect(h.messages.map((m) => m.text)).toEqual(["hello", ""]);
    expect(h.handoff).toBe(false);
    expect(String(server.fetch.mock.calls[1][0])).toContain("/api/chatbot/history?shop=demo");
    await transport.stop("r1");
    expect(JSON.parse(String(server.fetch.mock.calls[2][1]?.body))).toEqual({ shop: "demo", messageId: "r1" });
  });

  it("turns error bodies into ChatHttpError with code and Retry-After", async () => {
    const transport = new LocalTransport(cfg, {
      fetch: vi.fn(async () =>
        jsonResponse(429, { error: { code: "rate_limited", message: "wait" } }, { "Retry-After": "12" }),
      ) as unknown as typeof fetch,
    });
    const err = await transport.send("x", "c").catch((e) => e);
    expect(err).toBeInstanceOf(ChatHttpError);
    expect(err).toMatchObject({ status: 429, code: "rate_limited", retryAfter: 12, message: "wait" });
  });
});
