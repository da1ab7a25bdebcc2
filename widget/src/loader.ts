/**
 * The loader: the only chat code every page pays for (budget: 2 KB gzipped).
 * It draws the launcher in a shadow root and fetches the panel on first open, or at idle
 * time when the page says the conversation is active (`data-active`: a reply in flight, or
 * staff involved in the last hour), so live events reach the unread badge without a click.
 * A new visitor's page, and an idle returning visitor's, make no chat request before the
 * launcher is clicked: the badge they had is kept in localStorage.
 */
import { isZh, type LoaderApi, type MountData, storageKey } from "./shared";

const w = window;
const d = document;
// currentScript is null once the script has finished running, so read it right away.
const script = (d.currentScript || d.getElementById("chatbot-loader")) as HTMLScriptElement | null;

const ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';

const CSS =
  ".l{position:fixed;bottom:24px;right:24px;width:60px;height:60px;border-radius:50%;border:0;padding:0;" +
  "background:var(--cb-brand,#E53935);color:#fff;cursor:pointer;display:grid;place-items:center;" +
  "box-shadow:0 6px 18px rgba(0,0,0,.28);z-index:2147483000}" +
  ":host([data-position=bottom-left]) .l{right:auto;left:24px}" +
  ".l:focus-visible{outline:3px solid #1a73e8;outline-offset:3px}.l svg{width:28px;height:28px;fill:currentColor}" +
  ".b{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;box-sizing:border-box;" +
  "border-radius:11px;background:#C62828;color:#fff;border:2px solid #fff;font:700 12px/18px system-ui,sans-serif}" +
  ".s{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}" +
  "@media (max-width:480px){.l{width:52px;height:52px;bottom:16px;right:12px}:host([data-position=bottom-left]) .l{left:12px}" +
  ":host([data-open]) .l{display:none}}";

function boot(): void {
  if (!script || w.__chatbotLoader) return;
  const data = { ...script.dataset } as MountData;
  const zh = isZh(data.lang);
  const key = (name: string) => storageKey(data.shop, name);
  let store: Storage | undefined;
  try {
    store = w.localStorage;
  } catch {
    // Storage can be blocked (privacy settings); the widget then just forgets between pages.
  }

  // A custom tag name keeps the shop's `div {...}` rules off the host element.
  const host = d.createElement("chatbot-widget");
  host.setAttribute("style", "all:initial");
  host.setAttribute("data-position", data.position || "bottom-right");
  if (data.color) host.style.setProperty("--cb-brand", data.color);
  const root = host.attachShadow({ mode: "open" });
  // Static markup only: nothing from data attributes or the server goes through innerHTML.
  root.innerHTML = `<style>${CSS}</style><button class="l" aria-haspopup="dialog" aria-expanded="false">${ICON}<span class="b" aria-hidden="true" hidden></span></button><span class="s" aria-live="polite"></span>`;
  const launcher = root.querySelector("button") as HTMLButtonElement;
  const badge = launcher.lastChild as HTMLElement;
  const live = root.lastChild as HTMLElement;
  const openLabel = zh ? "打开在线客服" : "Open chat";
  launcher.setAttribute("aria-label", openLabel);

  let opened = false;
  let loading = false;
  let unreadNote = "";
  // The count is in the launcher's name too: someone tabbing to it later hears it.
  const label = () =>
    opened ? (zh ? "关闭在线客服" : "Close chat") : unreadNote ? `${openLabel} (${unreadNote})` : openLabel;
  const load = () => {
    if (loading || api.panel) return;
    loading = true;
    const s = d.createElement("script");
    s.src = data.panelSrc || "/static/chatbot/panel.js";
    s.async = true;
    s.onerror = () => {
      // Let the next click try again instead of leaving a dead button.
      loading = false;
      s.remove();
    };
    d.head.appendChild(s);
  };
  const set = (open: boolean) => {
    opened = open;
    launcher.setAttribute("aria-expanded", `${open}`);
    launcher.setAttribute("aria-label", label());
    host.toggleAttribute("data-open", open);
    if (api.panel) api.panel.setOpen(open);
    else if (open) load();
    if (!open) launcher.focus();
  };

  const api: LoaderApi = {
    host,
    root,
    data,
    launcher,
    isOpen: () => opened,
    open: () => set(true),
    close: () => set(false),
    setUnread(n) {
      badge.hidden = !n;
      badge.textContent = n > 9 ? "9+" : `${n}`;
      unreadNote = n ? (zh ? `${n} 条未读消息` : `${n} unread message${n > 1 ? "s" : ""}`) : "";
      live.textContent = unreadNote;
      launcher.setAttribute("aria-label", label());
      try {
        store?.setItem(key("unread"), `${n}`);
      } catch {}
    },
  };
  w.__chatbotLoader = api;
  launcher.onclick = () => set(!opened);
  d.body.appendChild(host);

  const unread = Number(store?.getItem(key("unread"))) || 0;
  if (unread) api.setUnread(unread);
  // An active conversation (the server says so, from a cache mark): fetch the panel when the
  // page is idle so a staff answer or a finishing reply shows up on the badge.
  if (data.active === "1") {
    if (w.requestIdleCallback) w.requestIdleCallback(load, { timeout: 5000 });
    else setTimeout(load, 2000);
  }
}

if (d.body) boot();
else d.addEventListener("DOMContentLoaded", boot);
