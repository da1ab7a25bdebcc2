import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Panel } from "../src/panel/panel";
import { LocalTransport } from "../src/transport/local";
import type { ChatEvent } from "../src/transport/types";
import { cfg, FakeEventSource, fakeServer, settle } from "./fakes";
import { FakeTransport, fakeLoader, flush, msg } from "./helpers";

const $ = (root: ShadowRoot, sel: string) => root.querySelector(sel) as HTMLElement;
const texts = (root: ShadowRoot, sel: string) => Array.from(root.querySelectorAll(sel), (n) => n.textContent);

async function mount(transport: FakeTransport | LocalTransport) {
  const loader = fakeLoader();
  const panel = new Panel(loader, async () => transport);
  loader.panel = panel;
  panel.mount();
  await settle();
  return { loader, panel, root: loader.root };
}

beforeEach(() => {
  FakeEventSource.all = [];
  localStorage.clear();
  sessionStorage.clear();
});
afterEach(() => {
  document.body.innerHTML = "";
});

describe("the panel when the person chatting changes", () => {
  function guestWithHistory() {
    localStorage.setItem("chatbot:demo:lastRead", "r1");
    sessionStorage.setItem("chatbot:demo:draft", "my address is");
    sessionStorage.setItem("chatbot:demo:outbox", JSON.stringify([{ clientMessageId: "cm-x", text: "unsent" }]));
    const transport = new FakeTransport();
    transport.userId = "g1";
    transport.historyResult = {
      messages: [
        msg({ id: "s1", role: "shopper", text: "guest question", status: "received" }),
        msg({ id: "r1", text: "guest answer" }),
        msg({ id: "r2", text: "guest news" }),
      ],
    };
    return transport;
  }

  it("an identity event for someone else clears the view, read state, badge, outbox and draft, then reloads", async () => {
    const transport = guestWithHistory();
    const { loader, panel, root } = await mount(transport);
    expect(panel.userId).toBe("g1");
    expect(texts(root, ".bub")).toContain("unsent");
    expect(loader.unread).toBe(1);
    expect(($(root, "textarea") as HTMLTextAreaElement).value).toBe("my address is");

    transport.userId = "u7";
    transport.historyResult = { messages: [msg({ id: "a1", text: "Welcome back, Ann" })] };
    transport.emit({ type: "identity", userId: "u7", userName: "Ann" });
    // At once, before the new history is back: nothing of the guest is left.
    expect(panel.userId).toBe("u7");
    expect(texts(root, ".bub")).toEqual(["Hi! I can help with products, orders, shipping and returns."]);
    expect(loader.unread).toBe(0);
    expect(localStorage.getItem("chatbot:demo:lastRead")).toBeNull();
    expect(sessionStorage.getItem("chatbot:demo:outbox")).toBeNull();
    expect(sessionStorage.getItem("chatbot:demo:draft")).toBeNull();
    expect(($(root, "textarea") as HTMLTextAreaElement).value).toBe("");

    await flush();
    expect(transport.historyCalls).toBe(2);
    expect(texts(root, ".m .bub").slice(1)).toEqual(["Welcome back, Ann"]);
    // Their past is not news: the badge starts from here.
    expect(loader.unread).toBe(0);
    expect(localStorage.getItem("chatbot:demo:lastRead")).toBe("a1");
    transport.emit({ type: "reply.done", message: msg({ id: "a2", text: "Your order shipped" }) });
    expect(loader.unread).toBe(1);
  });

  it("an identity event naming the same person changes nothing", async () => {
    const transport = guestWithHistory();
    const { loader, panel, root } = await mount(transport);
    transport.emit({ type: "identity", userId: "g1" });
    await flush();
    expect(panel.userId).toBe("g1");
    expect(transport.historyCalls).toBe(1);
    expect(texts(root, ".bub")).toContain("unsent");
    expect(loader.unread).toBe(1);
  });

  it("a page opened after a sign-out in this browser drops what the previous person left", async () => {
    localStorage.setItem("chatbot:demo:user", "u7");
    const transport = guestWithHistory(); // outbox, draft and lastRead of u7's pages
    const { loader, panel, root } = await mount(transport);
    expect(panel.userId).toBe("g1");
    expect(texts(root, ".bub")).not.toContain("unsent");
    expect(sessionStorage.getItem("chatbot:demo:outbox")).toBeNull();
    expect(($(root, "textarea") as HTMLTextAreaElement).value).toBe("");
    expect(loader.unread).toBe(0);
    expect(localStorage.getItem("chatbot:demo:user")).toBe("g1");
  });

  it("the same person on a new page keeps their unsent messages and draft", async () => {
    localStorage.setItem("chatbot:demo:user", "g1");
    const { loader, root } = await mount(guestWithHistory());
    expect(texts(root, ".bub")).toContain("unsent");
    expect(($(root, "textarea") as HTMLTextAreaElement).value).toBe("my address is");
    expect(loader.unread).toBe(1);
  });
});

describe("a message POST whose answer reveals a new identity", () => {
  /**
   * The shopper signed in in another tab; this tab still shows the guest. Its next message
   * is stored under the new identity, and the answer's X-Chatbot-User says so.
   */
  async function signedInElsewhere() {
    const server = fakeServer();
    server.histories.set("g1", [msg({ id: "1", role: "shopper", text: "guest question", status: "received" })]);
    server.histories.set("u7", [
      msg({ id: "50", role: "shopper", text: "earlier question", status: "received" }),
      msg({ id: "51", text: "earlier answer" }),
    ]);
    const transport = new LocalTransport(cfg, {
      fetch: server.fetch as unknown as typeof fetch,
      EventSource: FakeEventSource as unknown as typeof EventSource,
      retryDelayMs: () => 0,
      locks: null,
    });
    const { loader, panel, root } = await mount(transport);
    expect(panel.userId).toBe("g1");
    expect(texts(root, ".m.me .bub")).toEqual(["guest question"]);
    server.user = "u7";
    const seen: ChatEvent[] = [];
    transport.onEvent((e) => seen.push(e));
    return { server, transport, loader, panel, root, seen };
  }

  async function expectSwitched(s: Awaited<ReturnType<typeof signedInElsewhere>>) {
    const { panel, root, server } = s;
    expect(panel.userId).toBe("u7");
    // The guest's conversation is gone; the new message is there exactly once, with its reply.
    expect(texts(root, ".m.me .bub")).toEqual(["earlier question", "hello"]);
    expect(root.querySelectorAll(".m.me.pending")).toHaveLength(0);
    expect(root.querySelectorAll(".m.me .err")).toHaveLength(0);
    const [, reply] = server.histories.get("u7")!.slice(-2);
    expect(root.querySelectorAll(`[data-id="${reply.id}"]`)).toHaveLength(1);
    expect(root.querySelectorAll(`[data-id="${reply.id}"] .dots`)).toHaveLength(1);
    expect(sessionStorage.getItem("chatbot:demo:outbox")).toBeNull();
    expect(server.count("stream-message")).toBe(1);
    // The new identity's stream opened after the identity event, without token or resume point.
    expect(FakeEventSource.all).toHaveLength(2);
    expect(FakeEventSource.all[0].closed).toBe(true);
    expect([...FakeEventSource.all[1].params.keys()]).toEqual(["shop"]);
    // Its reply streams into the one placeholder.
    FakeEventSource.all[1].fire("reply.delta", { messageId: reply.id, text: "Hi Ann" }, "1");
    FakeEventSource.all[1].fire("reply.done", { message: { ...reply, text: "Hi Ann!", status: "done" } }, "2");
    expect(texts(root, ".m.them .bub").slice(1)).toEqual(["earlier answer", "Hi Ann!"]); // after the welcome
  }

  it("the answer lands first, then the identity event resets and history brings it back once", async () => {
    const s = await signedInElsewhere();
    let release!: () => void;
    s.server.gate = (path) =>
      path.endsWith("stream-chat-token")
        ? new Promise<void>((r) => {
            release = r;
          })
        : undefined;
    await s.panel.send("hello");
    // The POST's answer is in the view (under its server id) before anyone knows who "we" are.
    expect(s.seen.some((e) => e.type === "identity")).toBe(false);
    expect(texts(s.root, ".m.me .bub")).toEqual(["guest question", "hello"]);
    release();
    await settle();
    expect(s.seen.filter((e) => e.type === "identity")).toEqual([{ type: "identity", userId: "u7" }]);
    await expectSwitched(s);
  });

  it("the identity event comes first, then the POST's answer merges into the reloaded history", async () => {
    const s = await signedInElsewhere();
    let release!: () => void;
    const body = new Promise<void>((r) => {
      release = r;
    });
    const real = s.server.fetch.getMockImplementation()!;
    s.server.fetch.mockImplementation(async (url: string, init?: RequestInit) => {
      const res = await real(url, init);
      if (!url.endsWith("stream-message")) return res;
      // Headers now, body later: the re-identification overtakes the POST's own handling.
      return {
        ok: res.ok,
        status: res.status,
        headers: res.headers,
        json: () => body.then(() => res.json()),
      } as Response;
    });
    const sending = s.panel.send("hello");
    await settle();
    expect(s.seen.filter((e) => e.type === "identity")).toEqual([{ type: "identity", userId: "u7" }]);
    expect(texts(s.root, ".m.me .bub")).toEqual(["earlier question", "hello"]);
    release();
    await sending;
    await settle();
    await expectSwitched(s);
  });
});
