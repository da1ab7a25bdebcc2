// A stand-in for the Django routes of docs/contracts.md, for working on the widget alone:
//   node dev/mock-server.mjs [port]   then open http://127.0.0.1:8765/?lang=zh-hans&theme=dark
// One conversation for everyone, kept in memory; a fake assistant streams canned answers.
// Say "fail" to get a failed, retryable reply; "human" or "转人工" for a hand-off.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const staticDir = join(dirname(fileURLToPath(import.meta.url)), "../../chatbot/static/chatbot");
const port = Number(process.argv[2] || process.env.PORT || 8765);

const messages = [];
const events = []; // [{id, type, data}] for Last-Event-ID resume
const clients = new Set();
const failedOnce = new Set();
let nextId = 1;
let nextEvent = 1;
const stopRequested = new Set();

function publish(type, data) {
  const ev = { id: String(nextEvent++), type, data };
  events.push(ev);
  if (events.length > 500) events.shift();
  for (const res of clients) write(res, ev);
}
const write = (res, ev) => res.write(`id: ${ev.id}\nevent: ${ev.type}\ndata: ${JSON.stringify(ev.data)}\n\n`);

const product = (sku, name, price, stock, currency = "USD") => ({
  sku,
  name,
  price,
  currency,
  stock,
  inStock: stock > 0,
  url: `/products/${sku}`,
  imageUrl: null,
});

function answerFor(text) {
  if (/human|转人工/i.test(text)) {
    return {
      text: "",
      handoff: "A person from our team takes over (9:00–21:00), wait about 2 minutes. The assistant is paused.",
    };
  }
  if (/boot|鞋|<img/i.test(text)) {
    return {
      text: "Yes — the **Summit Waterproof Hiking Boots** are $129.00 and in stock (sizes 38–46).",
      products: [
        product("BOOT-1", "Summit Waterproof Hiking Boots", "129.00", 12),
        product("SOCK-3", "Trail Hiking Socks (3 pairs) <img src=x onerror=alert(1)>", "18.00", 0),
      ],
      quick: ["Shipping time", "Return policy", "Talk to a person"],
    };
  }
  return {
    text: "Orders ship within 24 hours; delivery takes 2–4 working days.\nFree over $50.",
    quick: ["Return policy"],
  };
}

async function runReply(reply, question) {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  publish("reply.thinking", { messageId: reply.id });
  await sleep(700);
  if (/fail/i.test(question.text) && !failedOnce.has(question.clientMessageId)) {
    failedOnce.add(question.clientMessageId);
    Object.assign(reply, { status: "failed", text: "Sorry, the assistant is unavailable right now." });
    publish("reply.failed", { message: reply, retryable: true });
    return;
  }
  const a = answerFor(question.text);
  reply.status = "streaming";
  for (const chunk of a.text.match(/.{1,6}/gsu) || []) {
    if (stopRequested.has(reply.id)) {
      reply.status = "stopped";
      publish("reply.done", { message: reply });
      return;
    }
    reply.text += chunk;
    publish("reply.delta", { messageId: reply.id, text: chunk });
    await sleep(60);
  }
  if (a.products) {
    reply.products = a.products;
    publish("reply.products", { messageId: reply.id, products: a.products });
  }
  if (a.quick) {
    reply.quickReplies = a.quick;
    publish("reply.quick_replies", { messageId: reply.id, options: a.quick });
  }
  if (a.handoff) {
    reply.handoff = true;
    publish("reply.handoff", { messageId: reply.id, notice: a.handoff });
  }
  reply.status = "done";
  publish("reply.done", { message: reply });
}

const json = (res, status, body, headers = {}) => {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};
const error = (res, status, code, message) => json(res, status, { error: { code, message } });

async function body(req) {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  try {
    return JSON.parse(raw || "{}");
  } catch {
    return {};
  }
}

function page(url) {
  const lang = url.searchParams.get("lang") || "en";
  const theme = url.searchParams.get("theme") || "";
  const zh = lang.startsWith("zh");
  const name = zh ? "莲花生活馆" : "Trail Outfitters";
  const welcome = zh
    ? "您好！我可以帮您找商品、查订单、了解配送和退换货。"
    : "Hi! I can help with products, orders, shipping and returns.";
  const attr = (s) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  return `<!doctype html><html lang="${zh ? "zh-Hans" : "en"}"${theme ? ` data-theme="${attr(theme)}"` : ""}><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>${name}</title>
<style>body{font-family:sans-serif;margin:40px;background:${theme === "dark" ? "#111" : "#f6f6f6"}}
/* hostile shop CSS the shadow DOM must shrug off */ button{background:lime!important;font-size:30px} div{border:3px solid blue}</style>
<script async src="/static/chatbot/loader.js" id="chatbot-loader"
  data-shop="demo" data-shop-name="${attr(name)}" data-lang="${attr(lang)}"
  data-engine="local" data-color="#E53935" data-position="${attr(url.searchParams.get("position") || "bottom-right")}"
  data-welcome="${attr(welcome)}" data-csrf-token="dev-csrf"
  data-token-url="/api/chatbot/stream-chat-token" data-message-url="/api/chatbot/stream-message"
  data-history-url="/api/chatbot/history" data-events-url="/api/chatbot/events"
  data-stop-url="/api/chatbot/stop" data-panel-src="/static/chatbot/panel.js"
  data-stream-src="/static/chatbot/stream-transport.js"></script></head>
<body><h1>${name}</h1><p>Footwear · Outerwear · Bags · Camping</p></body></html>`;
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, "http://local");
  const p = url.pathname;
  if (req.method === "GET" && p === "/") {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    return res.end(page(url));
  }
  if (req.method === "GET" && p.startsWith("/static/chatbot/")) {
    try {
      const file = normalize(join(staticDir, p.slice("/static/chatbot/".length)));
      if (!file.startsWith(staticDir)) throw new Error("outside");
      res.writeHead(200, { "Content-Type": "text/javascript; charset=utf-8" });
      return res.end(readFileSync(file));
    } catch {
      res.writeHead(404);
      return res.end();
    }
  }
  if (req.method === "POST" && req.headers["x-csrftoken"] !== "dev-csrf" && p.startsWith("/api/")) {
    return error(res, 403, "csrf_failed", "CSRF token missing or wrong");
  }
  if (req.method === "POST" && p === "/api/chatbot/stream-chat-token") {
    return json(res, 200, {
      token: "dev-token",
      apiKey: "",
      userId: "guest-1",
      userName: "Guest",
      engine: "local",
      channel: { type: "messaging", id: "demo-guest-1" },
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      eventsUrl: "/api/chatbot/events",
    });
  }
  if (req.method === "POST" && p === "/api/chatbot/stream-message") {
    const b = await body(req);
    const text = String(b.text || "").trim();
    if (!text) return error(res, 400, "invalid_request", "text is empty");
    if (text.length > 2000) return error(res, 413, "message_too_long", "too long");
    const existing = messages.find((m) => m.clientMessageId === b.clientMessageId);
    if (existing) {
      const old = messages.find((m) => m.replyTo === existing.id && m.status === "failed");
      if (!old) return json(res, 200, { message: existing, reply: null });
      const reply = { ...old, id: String(nextId++), text: "", status: "pending" };
      messages.splice(messages.indexOf(old), 1, reply);
      json(res, 200, { message: existing, reply });
      return runReply(reply, existing);
    }
    const message = {
      id: String(nextId++),
      clientMessageId: b.clientMessageId || randomUUID(),
      role: "shopper",
      text,
      status: "received",
      replyTo: null,
      createdAt: new Date().toISOString(),
      products: [],
      quickReplies: [],
      handoff: false,
    };
    const reply = {
      ...message,
      id: String(nextId++),
      clientMessageId: null,
      role: "assistant",
      text: "",
      status: "pending",
      replyTo: message.id,
    };
    messages.push(message, reply);
    publish("message.new", { message });
    json(res, 202, { message, reply });
    return runReply(reply, message);
  }
  if (req.method === "POST" && p === "/api/chatbot/stop") {
    const b = await body(req);
    stopRequested.add(String(b.messageId));
    return json(res, 202, { ok: true });
  }
  if (req.method === "GET" && p === "/api/chatbot/history") {
    return json(res, 200, {
      conversation: { id: "c1", channel: "demo-guest-1", handoff: messages.some((m) => m.handoff) },
      messages,
      welcome: "",
    });
  }
  if (req.method === "GET" && p === "/api/chatbot/events") {
    if (url.searchParams.get("token") !== "dev-token") return error(res, 403, "bad_token", "token");
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store" });
    const last = Number(req.headers["last-event-id"] || url.searchParams.get("lastEventId") || 0);
    if (last) for (const ev of events) if (Number(ev.id) > last) write(res, ev);
    clients.add(res);
    const ping = setInterval(() => res.write(": ping\n\n"), 15000);
    req.on("close", () => {
      clearInterval(ping);
      clients.delete(res);
    });
    return;
  }
  error(res, 404, "not_found", p);
});

server.listen(port, "127.0.0.1", () => console.log(`mock chat server on http://127.0.0.1:${port}/`));
