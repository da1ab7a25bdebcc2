import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

function mountTag(extra: Record<string, string> = {}) {
  const s = document.createElement("script");
  s.id = "chatbot-loader";
  const data: Record<string, string> = {
    shop: "demo",
    lang: "en",
    color: "#0055aa",
    panelSrc: "/static/chatbot/panel.js",
    ...extra,
  };
  for (const [k, v] of Object.entries(data)) s.dataset[k] = v;
  Node.prototype.appendChild.call(document.head, s);
}

async function boot() {
  vi.resetModules();
  await import("../src/loader");
  const api = window.__chatbotLoader;
  if (!api) throw new Error("loader did not boot");
  return api;
}

let injected: HTMLScriptElement[] = [];
const panelScripts = () => injected.filter((s) => s.getAttribute("src")?.includes("panel.js"));

beforeEach(() => {
  localStorage.clear();
  window.__chatbotLoader = undefined;
  injected = [];
  // Keep injected <script> tags out of the document: happy-dom would try to fetch them.
  vi.spyOn(document.head, "appendChild").mockImplementation((node) => {
    injected.push(node as HTMLScriptElement);
    return node;
  });
});
afterEach(() => {
  document.head.innerHTML = "";
  document.body.innerHTML = "";
});

describe("loader", () => {
  it("draws a labelled launcher in a shadow root and loads nothing for a new visitor", async () => {
    mountTag();
    const api = await boot();
    expect(api.host.tagName).toBe("CHATBOT-WIDGET");
    expect(api.host.style.getPropertyValue("--cb-brand")).toBe("#0055aa");
    expect(api.host.getAttribute("data-position")).toBe("bottom-right");
    expect(api.launcher.getAttribute("aria-label")).toBe("Open chat");
    expect(api.launcher.getAttribute("aria-expanded")).toBe("false");
    await new Promise((r) => setTimeout(r, 30));
    expect(panelScripts()).toHaveLength(0);
  });

  it("loads the panel on first open, once", async () => {
    mountTag();
    const api = await boot();
    api.launcher.click();
    expect(api.isOpen()).toBe(true);
    expect(api.launcher.getAttribute("aria-expanded")).toBe("true");
    expect(api.launcher.getAttribute("aria-label")).toBe("Close chat");
    api.launcher.click();
    api.launcher.click();
    expect(panelScripts()).toHaveLength(1);
  });

  it("hands open/close to the panel once it has mounted", async () => {
    mountTag();
    const api = await boot();
    const calls: boolean[] = [];
    api.panel = { setOpen: (o) => calls.push(o) };
    api.open();
    api.close();
    expect(calls).toEqual([true, false]);
    expect(api.root.activeElement).toBe(api.launcher);
  });

  it("an idle returning visitor keeps the stored badge and fetches nothing before opening", async () => {
    localStorage.setItem("chatbot:demo:user", "g1");
    localStorage.setItem("chatbot:demo:active", "1"); // an old widget's mark counts for nothing
    localStorage.setItem("chatbot:demo:unread", "1");
    mountTag();
    const idle = vi.fn((cb: () => void) => cb());
    (window as unknown as { requestIdleCallback: unknown }).requestIdleCallback = idle;
    try {
      const api = await boot();
      expect((api.launcher.querySelector("span") as HTMLElement).textContent).toBe("1");
      expect(idle).not.toHaveBeenCalled();
      expect(panelScripts()).toHaveLength(0);
    } finally {
      delete (window as unknown as { requestIdleCallback?: unknown }).requestIdleCallback;
    }
  });

  it("shows the stored unread count and preloads the panel when the conversation is active", async () => {
    localStorage.setItem("chatbot:demo:unread", "2");
    mountTag({ lang: "zh-hans", position: "bottom-left", active: "1" });
    const idle = vi.fn((cb: () => void) => cb());
    (window as unknown as { requestIdleCallback: unknown }).requestIdleCallback = idle;
    try {
      const api = await boot();
      const badge = api.launcher.querySelector("span") as HTMLElement;
      expect(badge.hidden).toBe(false);
      expect(badge.textContent).toBe("2");
      expect(api.root.querySelector("[aria-live]")?.textContent).toBe("2 条未读消息");
      // The unread count is part of the launcher's accessible name.
      expect(api.launcher.getAttribute("aria-label")).toBe("打开在线客服 (2 条未读消息)");
      expect(api.host.getAttribute("data-position")).toBe("bottom-left");
      expect(idle).toHaveBeenCalled();
      expect(panelScripts()).toHaveLength(1);
    } finally {
      delete (window as unknown as { requestIdleCallback?: unknown }).requestIdleCallback;
    }
  });

  it("setUnread updates the badge, caps it at 9+, and remembers it", async () => {
    mountTag();
    const api = await boot();
    api.setUnread(12);
    expect(api.launcher.querySelector("span")?.textContent).toBe("9+");
    expect(api.root.querySelector("[aria-live]")?.textContent).toBe("12 unread messages");
    expect(localStorage.getItem("chatbot:demo:unread")).toBe("12");
    api.setUnread(0);
    expect((api.launcher.querySelector("span") as HTMLElement).hidden).toBe(true);
  });
});
