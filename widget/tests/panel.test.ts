import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Panel } from "../src/panel/panel";
import type { MountData } from "../src/shared";
import { ChatHttpError } from "../src/transport/http";
import { FakeTransport, fakeLoader, flush, msg } from "./helpers";

async function setup(data: MountData = {}, transport = new FakeTransport()) {
  const loader = fakeLoader(data);
  const panel = new Panel(loader, async () => transport);
  loader.panel = panel;
  panel.mount();
  await flush();
  await flush();
  return { loader, panel, transport, root: loader.root };
}

const $ = (root: ShadowRoot, sel: string) => root.querySelector(sel) as HTMLElement;
const texts = (root: ShadowRoot, sel: string) => Array.from(root.querySelectorAll(sel), (n) => n.textContent);

function press(el: HTMLElement, key: string, extra: KeyboardEventInit = {}) {
  el.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...extra }));
}

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
});
afterEach(() => {
  document.body.innerHTML = "";
});

describe("panel", () => {
  it("is a labelled, non-modal dialog that opens with focus in the composer and closes on Esc", async () => {
    const { loader, root } = await setup({ shopName: "Trail Outfitters" });
    const dialog = $(root, "[role=dialog]");
    expect(dialog.getAttribute("aria-modal")).toBe("false");
    expect(root.getElementById("cb-title")?.textContent).toBe("Trail Outfitters");
    expect(dialog.hidden).toBe(true);
    loader.open();
    expect(dialog.hidden).toBe(false);
    expect(root.activeElement?.tagName).toBe("TEXTAREA");
    press($(root, "textarea"), "Escape");
    expect(loader.closes).toBe(1);
    expect(dialog.hidden).toBe(true);
  });

  it("shows the welcome text from data-welcome", async () => {
    const { root } = await setup({ welcome: "Hello from the shop" });
    expect(texts(root, ".bub")).toEqual(["Hello from the shop"]);
  });

  it("speaks Chinese when data-lang is zh-hans", async () => {
    const { root } = await setup({ lang: "zh-hans" });
    expect($(root, "textarea").getAttribute("placeholder")).toBe("输入消息…");
    expect($(root, ".x").getAttribute("aria-label")).toBe("关闭聊天");
    expect($(root, ".f").textContent).toBe("AI 智能客服 · 可转人工");
    expect(texts(root, ".bub")[0]).toContain("您好");
  });

  it("sends on Enter, keeps Shift+Enter and IME composition for newlines/candidates", async () => {
    const { root, transport } = await setup();
    const input = $(root, "textarea") as HTMLTextAreaElement;
    input.value = "line one";
    press(input, "Enter", { shiftKey: true });
    press(input, "Enter", { isComposing: true });
    expect(transport.sent).toHaveLength(0);
    press(input, "Enter");
    await flush();
    expect(transport.sent.map((s) => s.text)).toEqual(["line one"]);
    expect(input.value).toBe("");
  });

  it("shows the shopper's message at once as pending, then stored, then the streamed reply", async () => {
    const transport = new FakeTransport();
    let resolve!: () => void;
    const gate = new Promise<void>((r) => {
      resolve = r;
    });
    const original = transport.sendImpl;
    transport.sendImpl = async (text, cmid) => {
      await gate;
      return original(text, cmid);
    };
    const { panel, root } = await setup({}, transport);
    const sending = panel.send("Do you have boots?");
    expect($(root, ".m.me").classList.contains("pending")).toBe(true);
    resolve();
    await sending;
    expect($(root, ".m.me").classList.contains("pending")).toBe(false);
    expect($(root, ".dots")).not.toBeNull();
    expect($(root, ".stopw").hidden).toBe(false);
    transport.emit({ type: "reply.delta", messageId: "r1", text: "Yes, " });
    transport.emit({ type: "reply.delta", messageId: "r1", text: "**Boots**" });
    expect($(root, '[data-id="r1"] .bub').textContent).toBe("Yes, Boots");
    transport.emit({
      type: "reply.done",
      message: msg({ id: "r1", text: "Yes, **Boots**.", quickReplies: ["Shipping"] }),
    });
    expect($(root, '[data-id="r1"] .bub').textContent).toBe("Yes, Boots.");
    expect($(root, ".stopw").hidden).toBe(true);
  });

  it("quick replies send their text; the stop button stops the streaming reply", async () => {
    const { panel, root, transport } = await setup();
    transport.emit({ type: "reply.done", message: msg({ id: "r0", text: "Hi", quickReplies: ["Return policy"] }) });
    ($(root, ".chip") as HTMLButtonElement).click();
    await flush();
    expect(transport.sent[0].text).toBe("Return policy");
    expect(root.querySelector(".chip")).toBeNull(); // chips belong to the newest answer only
    transport.emit({ type: "reply.delta", messageId: "r1", text: "Our policy" });
    ($(root, ".stop") as HTMLButtonElement).click();
    expect(transport.stopped).toEqual(["r1"]);
    expect(panel.conv.streaming()?.id).toBe("r1");
  });

  it("a failed POST keeps the message with retry, and retry re-sends the same clientMessageId", async () => {
    const transport = new FakeTransport();
    const ok = transport.sendImpl;
    transport.sendImpl = async () => {
      throw new ChatHttpError(429, "rate_limited", "slow down", 3);
    };
    const { panel, root } = await setup({}, transport);
    await panel.send("hello");
    expect($(root, ".m.me .err").textContent).toContain("Too many messages");
    expect(JSON.parse(sessionStorage.getItem("chatbot:demo:outbox") || "[]")).toHaveLength(1);
    transport.sendImpl = ok;
    ($(root, ".m.me .err button") as HTMLButtonElement).click();
    await flush();
    expect(transport.sent).toHaveLength(2);
    expect(transport.sent[1].clientMessageId).toBe(transport.sent[0].clientMessageId);
    expect(root.querySelector(".m.me .err")).toBeNull();
    expect(sessionStorage.getItem("chatbot:demo:outbox")).toBeNull();
  });

  it("retrying a failed reply re-posts the clientMessageId of the message it answers", async () => {
    const transport = new FakeTransport();
    transport.historyResult = {
      messages: [
        msg({ id: "s1", role: "shopper", text: "boots?", clientMessageId: "cm-1", status: "received" }),
        msg({ id: "s2", role: "shopper", text: "other", clientMessageId: "cm-2", status: "received" }),
        msg({ id: "r1", text: "Sorry, try again", status: "failed", replyTo: "s1" }),
      ],
    };
    transport.sendImpl = async () => ({
      message: msg({ id: "s1", role: "shopper", text: "boots?", clientMessageId: "cm-1", status: "received" }),
      reply: msg({ id: "r2", status: "pending", replyTo: "s1" }),
    });
    const { root } = await setup({}, transport);
    ($(root, '[data-id="r1"] .err button') as HTMLButtonElement).click();
    await flush();
    expect(transport.sent).toEqual([{ text: "boots?", clientMessageId: "cm-1" }]);
    expect(root.querySelector('[data-id="r1"]')).toBeNull();
    expect(root.querySelector('[data-id="r2"] .dots')).not.toBeNull();
  });

  it("a failed reply from the stream shows its fallback text and a retry button", async () => {
    const { root, transport } = await setup();
    transport.emit({
      type: "reply.failed",
      message: msg({ id: "r1", text: "Sorry!", status: "failed" }),
      retryable: true,
    });
    expect($(root, '[data-id="r1"] .bub').textContent).toBe("Sorry!");
    expect($(root, '[data-id="r1"] .err button').textContent).toBe("Retry");
  });

  it("counts replies that arrive while closed and clears the count on open", async () => {
    const { loader, transport } = await setup();
    expect(loader.unread).toBe(0);
    transport.emit({ type: "reply.delta", messageId: "r1", text: "x" });
    expect(loader.unread).toBe(0);
    transport.emit({ type: "reply.done", message: msg({ id: "r1", text: "xy" }) });
    transport.emit({ type: "message.new", message: msg({ id: "s9", role: "staff", text: "hi", status: "received" }) });
    expect(loader.unread).toBe(2);
    loader.open();
    expect(loader.unread).toBe(0);
    expect(localStorage.getItem("chatbot:demo:lastRead")).toBe("s9");
    expect(transport.reads).toBe(1);
  });

  it("keeps the unread count right across a reload through the stored last-read id", async () => {
    localStorage.setItem("chatbot:demo:lastRead", "r1");
    const transport = new FakeTransport();
    transport.historyResult = {
      messages: [
        msg({ id: "s1", role: "shopper", status: "received" }),
        msg({ id: "r1", text: "seen" }),
        msg({ id: "s2", role: "shopper", status: "received" }),
        msg({ id: "r2", text: "new one" }),
      ],
    };
    const { loader } = await setup({}, transport);
    expect(loader.unread).toBe(1);
  });

  it("uses the engine's own unread count when it has one", async () => {
    const transport = new FakeTransport();
    transport.historyResult = { messages: [msg({ id: "a", text: "1" }), msg({ id: "b", text: "2" })], unread: 2 };
    const { loader } = await setup({}, transport);
    expect(loader.unread).toBe(2);
  });

  it("keeps the draft in sessionStorage and restores unsent messages after a reload", async () => {
    sessionStorage.setItem("chatbot:demo:draft", "half-typed");
    sessionStorage.setItem("chatbot:demo:outbox", JSON.stringify([{ clientMessageId: "cm-x", text: "lost?" }]));
    const { root, transport } = await setup();
    const input = $(root, "textarea") as HTMLTextAreaElement;
    expect(input.value).toBe("half-typed");
    input.value = "half-typed more";
    input.dispatchEvent(new Event("input"));
    expect(sessionStorage.getItem("chatbot:demo:draft")).toBe("half-typed more");
    expect($(root, ".m.me .bub").textContent).toBe("lost?");
    ($(root, ".m.me .err button") as HTMLButtonElement).click();
    await flush();
    expect(transport.sent).toEqual([{ text: "lost?", clientMessageId: "cm-x" }]);
  });

  it("shows the hand-off notice and switches the footer", async () => {
    const { root, transport } = await setup();
    transport.emit({ type: "reply.handoff", messageId: "r1", notice: "A person joins at 9:00" });
    expect($(root, ".note").textContent).toBe("A person joins at 9:00");
    expect($(root, ".f").textContent).toBe("A person from our team will reply here");
  });

  it("returns the footer to normal when staff hand back to the assistant", async () => {
    const { root, transport } = await setup();
    const notice = (id: string, notice: "handoff" | "back", text: string) =>
      msg({ id, role: "system", text, status: "done", notice, handoff: notice === "handoff" });
    transport.emit({ type: "message.new", message: notice("n1", "handoff", "A person will reply within 10 minutes.") });
    expect($(root, ".f").textContent).toBe("A person from our team will reply here");
    transport.emit({ type: "message.new", message: msg({ id: "s1", role: "staff", text: "Hi, Anna here" }) });
    expect($(root, ".f").textContent).toBe("A person from our team will reply here");
    transport.emit({ type: "message.new", message: notice("n2", "back", "The assistant is back. Ask me anything.") });
    expect($(root, ".f").textContent).toBe("AI assistant · a person can take over");
    expect(texts(root, ".m[data-role=system] .bub").at(-1)).toBe("The assistant is back. Ask me anything.");
    // The hand-off's own text is shown once, without the reply's "assistant is paused" note.
    expect(root.querySelectorAll(".note")).toHaveLength(0);
  });

  it("outside hours offers an email form whose address goes to the server", async () => {
    const { root, transport } = await setup();
    transport.emit({
      type: "message.new",
      message: msg({ id: "n1", role: "system", text: "Our team is away.", notice: "away", handoff: true }),
    });
    const input = root.querySelector(".away input") as HTMLInputElement;
    input.value = "not an email";
    ($(root, ".away") as HTMLFormElement).requestSubmit();
    await flush();
    expect(transport.emails).toEqual([]);
    expect($(root, ".away .st").textContent).toBe("Please enter a valid email address.");
    input.value = "ann@example.com";
    ($(root, ".away") as HTMLFormElement).requestSubmit();
    await flush();
    await flush();
    expect(transport.emails).toEqual(["ann@example.com"]);
    expect(root.querySelector(".away")).toBeNull();
    expect($(root, ".note").textContent).toBe("Thanks — we will email the answer to ann@example.com.");
  });

  it("announces whole answers to screen readers, not each fragment", async () => {
    const { loader, root, transport } = await setup();
    loader.open();
    const live = $(root, ".p > .sr");
    transport.emit({ type: "reply.delta", messageId: "r1", text: "Hel" });
    expect(live.textContent).toBe("");
    transport.emit({ type: "reply.done", message: msg({ id: "r1", text: "Hello" }) });
    expect(live.textContent).toBe("Assistant: Hello");
  });

  it("announces a reply's words without Markdown, staff messages too, and each only once", async () => {
    const { loader, root, transport } = await setup();
    loader.open();
    const live = $(root, ".p > .sr");
    const heard: string[] = [];
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) heard.push(n.textContent || "");
    }).observe(live, { childList: true });
    transport.emit({ type: "reply.delta", messageId: "r1", text: "Two:\n- **Tent**" });
    transport.emit({ type: "reply.delta", messageId: "r1", text: "\n- [Fly](https://x.example)" });
    transport.emit({
      type: "reply.done",
      message: msg({ id: "r1", text: "Two:\n- **Tent**\n- [Fly](https://x.example)" }),
    });
    transport.emit({
      type: "reply.done",
      message: msg({ id: "r1", text: "Two:\n- **Tent**\n- [Fly](https://x.example)" }),
    });
    transport.emit({ type: "message.new", message: msg({ id: "st1", role: "staff", text: "Hi, *Ann* here" }) });
    await flush();
    expect(heard).toEqual(["Assistant: Two: Tent Fly", "Staff: Hi, Ann here"]);
  });

  it("renders Markdown the same from both engines' events (local deltas, Stream's whole text)", async () => {
    const { root, transport } = await setup();
    // Local engine: deltas; Stream: the message's whole text so far on each update.
    transport.emit({ type: "reply.delta", messageId: "r1", text: "Steps:\n1. Sign **in" });
    transport.emit({ type: "reply.text", messageId: "r2", text: "Links: [returns](https://shop.example/r" });
    expect($(root, '[data-id="r1"] .bub').textContent).not.toContain("**");
    expect($(root, '[data-id="r2"] .bub').textContent).not.toContain("](");
    transport.emit({ type: "reply.delta", messageId: "r1", text: "**\n2. Pay" });
    transport.emit({ type: "reply.text", messageId: "r2", text: "Links: [returns](https://shop.example/r)" });
    transport.emit({ type: "reply.done", message: msg({ id: "r1", text: "Steps:\n1. Sign **in**\n2. Pay" }) });
    transport.emit({
      type: "reply.done",
      message: msg({ id: "r2", text: "Links: [returns](https://shop.example/r)" }),
    });
    expect(texts(root, '[data-id="r1"] .bub ol > li')).toEqual(["Sign in", "Pay"]);
    expect(($(root, '[data-id="r2"] .bub a') as HTMLAnchorElement).href).toBe("https://shop.example/r");
  });

  it("does not read out the history it loads, nor replies that finished while closed", async () => {
    const transport = new FakeTransport();
    transport.historyResult = { messages: [msg({ id: "old", text: "An old answer" })] };
    const loader = fakeLoader();
    const panel = new Panel(loader, async () => transport);
    loader.panel = panel;
    panel.mount();
    loader.open(); // open while the history is still loading
    await flush();
    await flush();
    const live = $(loader.root, ".p > .sr");
    expect($(loader.root, ".list").textContent).toContain("An old answer");
    expect(live.textContent).toBe("");
    loader.close();
    transport.emit({ type: "reply.done", message: msg({ id: "r2", text: "While closed" }) });
    loader.open();
    await flush();
    expect(live.textContent).toBe("");
    transport.emit({ type: "reply.done", message: msg({ id: "r3", text: "Now open" }) });
    expect(live.textContent).toBe("Assistant: Now open");
  });

  it("follows the page's dark theme", async () => {
    document.documentElement.setAttribute("data-theme", "dark");
    try {
      const { root } = await setup();
      expect($(root, ".p").getAttribute("data-theme")).toBe("dark");
      document.documentElement.removeAttribute("data-theme");
      document.body.classList.add("dark");
      await flush();
      expect($(root, ".p").getAttribute("data-theme")).toBe("dark");
      document.body.classList.remove("dark");
      await flush();
      expect($(root, ".p").getAttribute("data-theme")).toBe("auto");
    } finally {
      document.documentElement.removeAttribute("data-theme");
    }
  });

  it("shows a retryable error when the conversation cannot load", async () => {
    const transport = new FakeTransport();
    let fail = true;
    transport.history = async () => {
      if (fail) throw new TypeError("offline");
      return { messages: [msg({ id: "r1", text: "back" })] };
    };
    const { root } = await setup({}, transport);
    expect($(root, ".bar").hidden).toBe(false);
    fail = false;
    ($(root, ".bar button") as HTMLButtonElement).click();
    await flush();
    await flush();
    expect($(root, ".bar").hidden).toBe(true);
    expect(texts(root, ".bub")).toContain("back");
  });

  it("a chip with an action sends its label as the text and the action verbatim", async () => {
    const { root, transport } = await setup();
    const action = { type: "refine", filter: { inStock: true }, basis: "r0" };
    transport.emit({
      type: "reply.done",
      message: msg({ id: "r0", text: "Tents", quickReplies: [{ label: "In stock only", action }, "Shipping"] }),
    });
    expect(texts(root, ".chip")).toEqual(["In stock only", "Shipping"]);
    ($(root, ".chip") as HTMLButtonElement).click();
    await flush();
    expect(transport.sent[0].text).toBe("In stock only");
    expect(transport.sent[0].action).toEqual(action);
    expect(texts(root, ".m.me .bub")).toEqual(["In stock only"]);
  });

  it("chips from a quick_replies event may be objects; junk entries are dropped", async () => {
    const { root, transport } = await setup();
    transport.emit({ type: "reply.delta", messageId: "r5", text: "Here" });
    transport.emit({
      type: "reply.quick_replies",
      messageId: "r5",
      options: [{ label: "Cheapest first", action: { type: "sort", by: "price" } }, 7, null, { nope: 1 }] as never,
    });
    transport.emit({ type: "reply.done", message: msg({ id: "r5", text: "Here" }) });
    expect(texts(root, ".chip")).toEqual(["Cheapest first"]);
    expect($(root, ".chip").getAttribute("data-action")).toBe("sort");
  });

  it("a reply with no news past the timeout is re-read, then shown as slow with retry and stop", async () => {
    const { root, panel, transport } = await setup({ replyTimeout: "30" });
    await panel.send("hello");
    await flush();
    expect(root.querySelector(".dots")).not.toBeNull();
    const t0 = Date.now();
    await panel.watch(t0 + 10_000);
    expect(transport.historyCalls).toBe(1); // the first load only
    transport.historyResult = {
      messages: [
        msg({ id: "s1", role: "shopper", text: "hello", clientMessageId: transport.sent[0].clientMessageId }),
        msg({ id: "r1", status: "pending", replyTo: "s1" }),
      ],
    };
    await panel.watch(t0 + 31_000);
    expect(transport.historyCalls).toBe(2);
    expect($(root, ".slow").textContent).toContain("This is taking longer than expected.");
    const [retry, stop] = Array.from(root.querySelectorAll(".slow button")) as HTMLButtonElement[];
    stop.click();
    expect(transport.stopped).toEqual(["r1"]);
    retry.click();
    await flush();
    expect(transport.sent).toHaveLength(2);
    expect(transport.sent[1].clientMessageId).toBe(transport.sent[0].clientMessageId);
    expect(root.querySelector(".slow")).toBeNull();
  });

  it("a slow reply that finished meanwhile just shows its answer", async () => {
    const { root, panel, transport } = await setup({ replyTimeout: "30", lang: "zh-hans" });
    await panel.send("你好");
    await flush();
    transport.historyResult = { messages: [msg({ id: "r1", text: "您好！", status: "done" })] };
    await panel.watch(Date.now() + 60_000);
    expect(root.querySelector(".slow")).toBeNull();
    expect(texts(root, ".bub")).toContain("您好！");
  });

  it("news of the reply resets the clock", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const t0 = Date.now();
      const { root, panel, transport } = await setup({ replyTimeout: "30" });
      await panel.send("hello");
      await flush();
      vi.setSystemTime(t0 + 20_000);
      transport.emit({ type: "reply.delta", messageId: "r1", text: "Wor" });
      vi.setSystemTime(t0 + 40_000); // 40 s since the send, 20 s since the last delta
      await panel.watch();
      expect(transport.historyCalls).toBe(1);
      vi.setSystemTime(t0 + 51_000);
      await panel.watch();
      expect(transport.historyCalls).toBe(2);
      expect(root.querySelector(".slow")).not.toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it("the avatar is one letter of the shop name, or the logo when the page gives one", async () => {
    const { root } = await setup({ shopName: "Northwind Outfitters" });
    expect($(root, ".av").textContent).toBe("N");
    document.body.innerHTML = "";
    const logo = await setup({ shopName: "Northwind Outfitters", logo: "https://cdn.example.com/logo.png" });
    expect((logo.root.querySelector(".av img") as HTMLImageElement).src).toBe("https://cdn.example.com/logo.png");
    document.body.innerHTML = "";
    const bad = await setup({ shopName: "Northwind Outfitters", logo: "javascript:alert(1)" });
    expect(bad.root.querySelector(".av img")).toBeNull();
  });
});
