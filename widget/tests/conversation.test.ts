import { describe, expect, it } from "vitest";
import { Conversation } from "../src/panel/conversation";
import { msg } from "./helpers";

describe("streaming assembly", () => {
  it("appends deltas in order and takes the final message as the truth", () => {
    const c = new Conversation();
    c.apply({ type: "reply.thinking", messageId: "r1" });
    expect(c.find("r1")?.thinking).toBe(true);
    c.apply({ type: "reply.delta", messageId: "r1", text: "Yes — " });
    c.apply({ type: "reply.delta", messageId: "r1", text: "we have it" });
    expect(c.find("r1")).toMatchObject({ text: "Yes — we have it", status: "streaming", thinking: false });
    c.apply({
      type: "reply.products",
      messageId: "r1",
      products: [{ sku: "a", name: "A", price: "1", currency: "USD", inStock: true }],
    });
    c.apply({ type: "reply.quick_replies", messageId: "r1", options: ["More"] });
    c.apply({ type: "reply.done", message: msg({ id: "r1", text: "Yes — we have it.", status: "done" }) });
    const r = c.find("r1");
    expect(r).toMatchObject({ text: "Yes — we have it.", status: "done", quickReplies: ["More"] });
    expect(r?.products).toHaveLength(1);
  });

  it("a late 202 with the pending reply does not wipe streamed text", () => {
    const c = new Conversation();
    c.addOptimistic("hi", "cm1");
    c.apply({ type: "reply.delta", messageId: "r1", text: "Hello there" });
    c.upsert(msg({ id: "s1", role: "shopper", text: "hi", clientMessageId: "cm1", status: "received" }));
    c.upsert(msg({ id: "r1", status: "pending", text: "" }));
    expect(c.find("r1")?.text).toBe("Hello there");
    expect(c.messages.map((m) => m.id)).toEqual(["s1", "r1"]);
    expect(c.find("s1")?.local).toBe(false);
  });

  it("events after the final message change nothing, and status never goes back to live", () => {
    const c = new Conversation();
    c.apply({ type: "reply.done", message: msg({ id: "r1", text: "Done." }) });
    c.apply({ type: "reply.delta", messageId: "r1", text: " extra" });
    c.upsert(msg({ id: "r1", status: "streaming", text: "Do" }));
    expect(c.find("r1")).toMatchObject({ text: "Done.", status: "done" });
  });

  it("Stream-style full-text updates replace the text", () => {
    const c = new Conversation();
    c.apply({ type: "reply.text", messageId: "r1", text: "Hel" });
    c.apply({ type: "reply.text", messageId: "r1", text: "Hello" });
    expect(c.find("r1")?.text).toBe("Hello");
  });

  it("history keeps optimistic messages it does not know yet", () => {
    const c = new Conversation();
    c.addOptimistic("pending one", "cm9");
    c.load([msg({ id: "1", role: "shopper", text: "old", status: "received" })]);
    expect(c.messages.map((m) => m.text)).toEqual(["old", "pending one"]);
  });

  it("finds the question a failed reply answers", () => {
    const c = new Conversation();
    c.load([
      msg({ id: "s1", role: "shopper", clientMessageId: "a", status: "received" }),
      msg({ id: "s2", role: "shopper", clientMessageId: "b", status: "received" }),
      msg({ id: "r1", status: "failed", replyTo: "s1" }),
    ]);
    expect(c.questionFor(c.find("r1")!)?.clientMessageId).toBe("a");
  });
});

describe("unread counting", () => {
  const history = () => [
    msg({ id: "1", role: "shopper", status: "received" }),
    msg({ id: "2", text: "a" }),
    msg({ id: "3", role: "staff", text: "b", status: "received" }),
    msg({ id: "4", role: "system", text: "c", status: "received" }),
  ];

  it("counts assistant and staff messages after the last one read", () => {
    const c = new Conversation();
    c.load(history());
    c.lastReadId = "1";
    expect(c.unreadCount()).toBe(2);
    c.lastReadId = "2";
    expect(c.unreadCount()).toBe(1);
  });

  it("a reply counts once it is final, not while it streams", () => {
    const c = new Conversation();
    c.load(history());
    expect(c.markAllRead()).toBe(true);
    expect(c.unreadCount()).toBe(0);
    c.apply({ type: "reply.delta", messageId: "9", text: "x" });
    expect(c.unreadCount()).toBe(0);
    c.apply({ type: "reply.done", message: msg({ id: "9", text: "xy" }) });
    c.apply({ type: "reply.done", message: msg({ id: "9", text: "xy" }) });
    expect(c.unreadCount()).toBe(1);
  });

  it("an engine's own count sets the read position", () => {
    const c = new Conversation();
    c.load(history());
    c.setUnreadCount(1);
    expect(c.lastReadId).toBe("2");
    expect(c.unreadCount()).toBe(1);
    c.setUnreadCount(0);
    expect(c.unreadCount()).toBe(0);
    c.setUnreadCount(5);
    expect(c.unreadCount()).toBe(2);
  });
});
