import { describe, expect, it } from "vitest";
import { ChatApi, ChatHttpError } from "../src/transport/http";
import { cfg, fakeServer, jsonResponse } from "./fakes";

function setup() {
  const server = fakeServer();
  const api = new ChatApi(cfg, server.fetch as unknown as typeof fetch);
  const users: string[] = [];
  api.onUser = (u) => users.push(u);
  return { server, api, users };
}

const summary = (calls: { method: string; path: string; csrf?: string }[]) =>
  calls.map((c) => `${c.method} ${c.path.replace("/api/chatbot/", "")}${c.csrf ? ` ${c.csrf}` : ""}`);

describe("ChatApi", () => {
  it("posts a rating to the rating route (default path when the page names none)", async () => {
    const { server, api } = setup();
    await api.rate(5);
    expect(summary(server.calls).at(-1)).toBe("POST rating csrf-1");
  });

  it("reports X-Chatbot-User of every answer, errors included", async () => {
    const { server, api, users } = setup();
    await api.token();
    server.user = "u7";
    await api.history();
    server.fetch.mockImplementationOnce(async () =>
      jsonResponse(413, { error: { code: "message_too_long", message: "long" } }, { "X-Chatbot-User": "u8" }),
    );
    await expect(api.send("x", "c")).rejects.toMatchObject({ status: 413 });
    server.fetch.mockImplementationOnce(async () => jsonResponse(202, {})); // an old server: no header
    await api.stop("r1");
    expect(users).toEqual(["g1", "u7", "u8"]);
  });

  it("a 503 shutting_down is retried after Retry-After with the same body", async () => {
    const { server, api } = setup();
    const waits: number[] = [];
    api.sleep = async (ms) => {
      waits.push(ms);
    };
    server.fetch.mockImplementationOnce(async () =>
      jsonResponse(503, { error: { code: "shutting_down", message: "restarting" } }, { "Retry-After": "3" }),
    );
    const res = await api.send("hello", "cm-1", { type: "refine", inStock: true });
    expect(res.message.text).toBe("hello");
    expect(waits).toEqual([3000]);
    const posts = server.fetch.mock.calls.filter(([, init]) => init?.method === "POST");
    expect(posts).toHaveLength(2);
    expect(JSON.parse(String(posts[1][1]?.body))).toEqual({
      shop: "demo",
      text: "hello",
      clientMessageId: "cm-1",
      action: { type: "refine", inStock: true },
    });
  });

  it("gives up on a server that keeps restarting, and never retries a plain 503", async () => {
    const { server, api } = setup();
    api.sleep = async () => {};
    server.fetch.mockImplementation(async () =>
      jsonResponse(503, { error: { code: "shutting_down", message: "restarting" } }, { "Retry-After": "1" }),
    );
    await expect(api.send("x", "c")).rejects.toMatchObject({ code: "shutting_down" });
    expect(server.fetch).toHaveBeenCalledTimes(4);
    server.fetch.mockReset();
    server.fetch.mockImplementation(async () =>
      jsonResponse(503, { error: { code: "chat_disabled", message: "off" } }),
    );
    await expect(api.send("x", "c")).rejects.toMatchObject({ code: "chat_disabled" });
    expect(server.fetch).toHaveBeenCalledTimes(1);
  });

  it("takes the newest X-CSRFToken from any answer for later POSTs", async () => {
    const { server, api } = setup();
    await api.token();
    server.csrf = "csrf-2"; // rotated at a sign-in; this GET already carries the new one
    await api.history();
    await api.send("hello", "cm-1");
    expect(summary(server.calls)).toEqual([
      "POST stream-chat-token csrf-1",
      "GET history",
      "POST stream-message csrf-2",
    ]);
  });

  it("on 403 csrf_failed fetches the history once for a fresh token and retries the POST once", async () => {
    const { server, api } = setup();
    server.csrf = "csrf-2"; // the page's data-csrf-token went stale (signed in in another tab)
    const res = await api.send("hello", "cm-1");
    expect(res.message.text).toBe("hello");
    expect(summary(server.calls)).toEqual(["POST stream-message csrf-1", "GET history", "POST stream-message csrf-2"]);
    // The same clientMessageId both times: the server stores it once either way.
    expect(server.calls[2].body).toEqual(server.calls[0].body);
  });

  it("gives up after the single retry", async () => {
    const { server, api } = setup();
    server.fetch.mockImplementation(async (url: string, init?: RequestInit) => {
      server.calls.push({ method: init?.method || "GET", path: new URL(url, location.href).pathname });
      return init?.method === "POST"
        ? jsonResponse(403, { error: { code: "csrf_failed", message: "CSRF" } })
        : jsonResponse(200, { messages: [] }, { "X-CSRFToken": "csrf-9" });
    });
    const err = await api.send("hello", "cm-1").catch((e) => e);
    expect(err).toBeInstanceOf(ChatHttpError);
    expect(err).toMatchObject({ status: 403, code: "csrf_failed" });
    expect(summary(server.calls)).toEqual(["POST stream-message", "GET history", "POST stream-message"]);
  });

  it("does not retry other 403s", async () => {
    const { server, api } = setup();
    server.fetch.mockImplementationOnce(async () =>
      jsonResponse(403, { error: { code: "identity_mismatch", message: "no" } }),
    );
    await expect(api.token()).rejects.toMatchObject({ code: "identity_mismatch" });
    expect(server.fetch).toHaveBeenCalledTimes(1);
  });

  it("POSTs that fail together share one refresh", async () => {
    const { server, api } = setup();
    server.csrf = "csrf-2";
    await Promise.all([api.send("a", "cm-a"), api.send("b", "cm-b"), api.stop("r1")]);
    expect(server.count("/history")).toBe(1);
    expect(server.calls.filter((c) => c.method === "POST").map((c) => c.csrf)).toEqual([
      "csrf-1",
      "csrf-1",
      "csrf-1",
      "csrf-2",
      "csrf-2",
      "csrf-2",
    ]);
  });

  it("on 409 session_changed waits, refreshes the CSRF token and retries once", async () => {
    const { server, api } = setup();
    const waited: number[] = [];
    api.sleep = async (ms) => {
      waited.push(ms);
      server.csrf = "csrf-2"; // meanwhile the sign-in's answer arrived with its cookies
    };
    server.fetch.mockImplementationOnce(async () =>
      jsonResponse(409, { error: { code: "session_changed", message: "again" } }, { "Retry-After": "1" }),
    );
    const res = await api.send("hello", "cm-1");
    expect(res.message.text).toBe("hello");
    expect(waited).toEqual([1000]);
    expect(summary(server.calls)).toEqual(["GET history", "POST stream-message csrf-2"]);
  });
});
