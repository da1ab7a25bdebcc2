import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Panel } from "../src/panel/panel";
import { type LocalDeps, LocalTransport } from "../src/transport/local";
import type { ChatEvent } from "../src/transport/types";
import { cfg, FakeEventSource, FakeLocks, fakeBroadcast, fakeServer, settle, tabEventSource } from "./fakes";
import { fakeLoader, msg } from "./helpers";

/** Tabs of one fake browser: one cookie jar (server), one lock manager, one broadcast bus. */
function browser(share: Partial<LocalDeps> = {}) {
  const server = fakeServer();
  const locks = new FakeLocks();
  const bus = fakeBroadcast();
  const tab = (name: string) => {
    const transport = new LocalTransport(cfg, {
      fetch: server.fetch as unknown as typeof fetch,
      EventSource: tabEventSource(name),
      retryDelayMs: () => 0,
      locks,
      BroadcastChannel: bus.BroadcastChannel,
      ...share,
    });
    const events: ChatEvent[] = [];
    transport.onEvent((e) => events.push(e));
    return { name, transport, events };
  };
  return { server, locks, bus, tab };
}

const streamsOf = (tab: string) => FakeEventSource.all.filter((es) => es.tab === tab);
const openStreams = () => FakeEventSource.open().map((es) => es.tab);

beforeEach(() => {
  FakeEventSource.all = [];
  localStorage.clear();
  sessionStorage.clear();
});
afterEach(() => {
  document.body.innerHTML = "";
});

describe("one event stream per browser", () => {
  it("only the tab holding the lock opens the stream; the others get every event from it", async () => {
    const b = browser();
    const a = b.tab("a");
    const c = b.tab("c");
    await a.transport.connect();
    await c.transport.connect();
    expect(openStreams()).toEqual(["a"]);
    const es = streamsOf("a")[0];
    es.onopen?.();
    es.fire("reply.delta", { messageId: "r1", text: "Hi" }, "7");
    es.fire("reply.done", { message: msg({ id: "r1", text: "Hi!" }) }, "8");
    await settle();
    const expected: ChatEvent[] = [
      { type: "connection", state: "open" },
      { type: "reply.delta", messageId: "r1", text: "Hi" },
      { type: "reply.done", message: msg({ id: "r1", text: "Hi!" }) },
    ];
    expect(a.events).toEqual(expected);
    expect(c.events).toEqual(expected);
    // Every tab still calls the token route (it creates the conversation), once.
    expect(b.server.count("stream-chat-token")).toBe(2);
    expect(b.bus.open.size).toBe(2);
  });

  it("when the leading tab goes, another takes the lock and resumes after the last event it saw", async () => {
    const b = browser();
    const a = b.tab("a");
    const c = b.tab("c");
    const d = b.tab("d");
    for (const t of [a, c, d]) await t.transport.connect();
    streamsOf("a")[0].fire("reply.delta", { messageId: "r1", text: "Hi" }, "41");
    await settle();
    a.transport.close();
    await settle();
    expect(streamsOf("a")[0].closed).toBe(true);
    expect(openStreams()).toEqual(["c"]); // first in line; d keeps following
    expect(streamsOf("c")[0].params.get("lastEventId")).toBe("41");
    expect(streamsOf("c")[0].params.has("token")).toBe(false);
    streamsOf("c")[0].fire("reply.delta", { messageId: "r1", text: " there" }, "42");
    await settle();
    expect(d.events.filter((e) => e.type === "reply.delta")).toEqual([
      { type: "reply.delta", messageId: "r1", text: "Hi" },
      { type: "reply.delta", messageId: "r1", text: " there" },
    ]);
    expect(a.events).toHaveLength(1); // a closed tab hears nothing more
  });

  it("without Web Locks, without BroadcastChannel, or refused the locks, every tab streams alone", async () => {
    const refused = { request: () => Promise.reject(new DOMException("no", "SecurityError")) };
    for (const missing of [{ locks: null }, { BroadcastChannel: null }, { locks: refused }] as Partial<LocalDeps>[]) {
      FakeEventSource.all = [];
      const b = browser(missing);
      const a = b.tab("a");
      const c = b.tab("c");
      await a.transport.connect();
      await c.transport.connect();
      expect(openStreams()).toEqual(["a", "c"]);
      streamsOf("a")[0].fire("reply.delta", { messageId: "r1", text: "Hi" }, "7");
      await settle();
      expect(c.events).toEqual([]); // nothing relayed: c has its own stream
      a.transport.close();
      c.transport.close();
    }
  });

  it("session.ended at the leader: every tab hears the new identity before the new stream's events", async () => {
    const b = browser();
    const a = b.tab("a");
    const c = b.tab("c");
    await a.transport.connect();
    await c.transport.connect();
    streamsOf("a")[0].fire("reply.delta", { messageId: "r1", text: "Hi" }, "41");
    b.server.user = "g2";
    streamsOf("a")[0].fire("session.ended", { reason: "signed_out" });
    await settle();
    expect(streamsOf("a")).toHaveLength(2);
    expect(streamsOf("a")[1].params.has("lastEventId")).toBe(false);
    streamsOf("a")[1].fire("message.new", { message: msg({ id: "m1", role: "system", text: "new" }) }, "1");
    await settle();
    for (const t of [a, c]) {
      expect(t.events.slice(-2).map((e) => e.type)).toEqual(["identity", "message.new"]);
      expect(t.transport.userId).toBe("g2");
    }
    expect(openStreams()).toEqual(["a"]);
    // The follower did not call the token route again: the leader did, once.
    expect(b.server.count("stream-chat-token")).toBe(3);
  });

  it("a follower that learns of a new identity tells the leader, which reopens the stream for it", async () => {
    const b = browser();
    const a = b.tab("a");
    const c = b.tab("c");
    await a.transport.connect();
    await c.transport.connect();
    b.server.user = "u7"; // signed in in a third tab
    await c.transport.history(); // its answer says X-Chatbot-User: u7
    await settle();
    expect(c.events.filter((e) => e.type === "identity")).toEqual([{ type: "identity", userId: "u7" }]);
    expect(a.events.filter((e) => e.type === "identity")).toEqual([{ type: "identity", userId: "u7" }]);
    expect(a.transport.userId).toBe("u7");
    expect(streamsOf("a")[0].closed).toBe(true);
    expect(openStreams()).toEqual(["a"]);
    expect(streamsOf("a")[1].params.has("lastEventId")).toBe(false);
    expect(streamsOf("c")).toHaveLength(0);
  });

  it("a follower drops relayed events of an identity it no longer has", async () => {
    const b = browser();
    const a = b.tab("a");
    const c = b.tab("c");
    await a.transport.connect();
    await c.transport.connect();
    b.server.user = "u7";
    await c.transport.history();
    // Only microtasks: the follower has adopted u7, its broadcast has not reached the leader.
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(c.transport.userId).toBe("u7");
    expect(a.transport.userId).toBe("g1");
    // So the leader's old stream still relays g1's conversation for a moment.
    streamsOf("a")[0].fire("reply.delta", { messageId: "r1", text: "g1's words" }, "9");
    await settle();
    expect(a.events.map((e) => e.type)).toEqual(["reply.delta", "identity"]);
    expect(c.events.map((e) => e.type)).toEqual(["identity"]);
  });

  it("the unread badge counts in every tab", async () => {
    const b = browser();
    const panels = ["a", "c"].map((name) => {
      const loader = fakeLoader();
      const { transport } = b.tab(name);
      const panel = new Panel(loader, async () => transport);
      loader.panel = panel;
      panel.mount();
      return { loader, panel };
    });
    await settle();
    expect(openStreams()).toEqual(["a"]);
    streamsOf("a")[0].fire("reply.done", { message: msg({ id: "r1", text: "Your order shipped" }) }, "5");
    await settle();
    expect(panels.map((p) => p.loader.unread)).toEqual([1, 1]);
    expect(panels.map((p) => p.panel.userId)).toEqual(["g1", "g1"]);
  });
});
