import type { ChipAction, Message, SendResult, TokenResponse, TransportConfig } from "./types";

/** A failed route call, carrying the contract's `{"error": {code, message}}`. */
export class ChatHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "ChatHttpError";
  }
}

async function parse<T>(res: Response): Promise<T> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // An HTML error page from a proxy still becomes a ChatHttpError below.
  }
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string } } | null)?.error;
    const after = Number(res.headers.get("Retry-After")) || undefined;
    throw new ChatHttpError(res.status, err?.code || "http_error", err?.message || `HTTP ${res.status}`, after);
  }
  return body as T;
}

const isCsrfFailure = (err: unknown): boolean =>
  err instanceof ChatHttpError && err.status === 403 && err.code === "csrf_failed";

/** A server going down for a restart (a deploy): the same request will work in a moment. */
const isShuttingDown = (err: unknown): err is ChatHttpError =>
  err instanceof ChatHttpError && err.status === 503 && err.code === "shutting_down";

/** How often a POST is tried again while the server restarts, and the longest wait. */
const RESTART_RETRIES = 3;
const MAX_RESTART_WAIT_S = 30;

const isSessionChange = (err: unknown): err is ChatHttpError =>
  err instanceof ChatHttpError && err.status === 409 && err.code === "session_changed";

export class ChatApi {
  /** Waits before a retry; tests pass one that does not. */
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  /**
   * Django rotates the CSRF token at sign-in, so `data-csrf-token` goes stale when the
   * shopper signs in from another tab; every chat response carries the current one.
   */
  private csrf: string;
  private refreshing: Promise<void> | undefined;
  /** Told the `X-Chatbot-User` of every response, errors included (the identity may change). */
  onUser: ((userId: string) => void) | undefined;

  constructor(
    readonly cfg: TransportConfig,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {
    this.csrf = cfg.csrfToken;
  }

  /** Reads the headers every chat JSON response carries, before its body. */
  private seen(res: Response): Response {
    const csrf = res.headers.get("X-CSRFToken");
    if (csrf) this.csrf = csrf;
    const user = res.headers.get("X-Chatbot-User");
    if (user) this.onUser?.(user);
    return res;
  }

  private request<T>(url: string, init: RequestInit): Promise<T> {
    return this.fetchImpl(url, { credentials: "same-origin", ...init }).then((res) => parse<T>(this.seen(res)));
  }

  async post<T>(url: string, body: Record<string, unknown>): Promise<T> {
    const once = () =>
      this.request<T>(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": this.csrf },
        body: JSON.stringify({ shop: this.cfg.shop || undefined, ...body }),
      });
    try {
      return await this.throughRestart(once);
    } catch (err) {
      if (isSessionChange(err)) {
        // The browser is taking a new session cookie (a sign-in or sign-out just now):
        // wait for it, then try once more (the CSRF token rotated too, so refresh it).
        await this.sleep(Math.min(5, err.retryAfter || 1) * 1000);
        await this.refreshCsrf();
        return once();
      }
      if (!isCsrfFailure(err)) throw err;
      // One GET hands us the fresh token in its header; then one more try, never a loop.
      await this.refreshCsrf();
      return once();
    }
  }

  /**
   * A 503 `shutting_down` (the server is restarting; its `Retry-After` says when to come
   * back) is tried again after that wait, a few times; so is a network error right after
   * one (the old process has gone, the new one is not listening yet). The shopper's text
   * stays in its bubble meanwhile, and the clientMessageId makes the retry idempotent.
   */
  private async throughRestart<T>(once: () => Promise<T>): Promise<T> {
    let restarting: ChatHttpError | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        return await once();
      } catch (err) {
        if (isShuttingDown(err)) restarting = err;
        else if (!(restarting && err instanceof TypeError)) throw err;
        if (attempt >= RESTART_RETRIES) throw err;
        const wait = Math.min(MAX_RESTART_WAIT_S, Math.max(1, restarting?.retryAfter || 2));
        await this.sleep(wait * 1000);
      }
    }
  }

  /** Shared by POSTs that fail together (a burst right after a sign-in elsewhere). */
  private refreshCsrf(): Promise<void> {
    this.refreshing ??= this.history()
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  get<T>(url: string, params: Record<string, string>): Promise<T> {
    const u = new URL(url, location.href);
    for (const [k, v] of Object.entries(params)) if (v) u.searchParams.set(k, v);
    return this.request<T>(u.toString(), { headers: { Accept: "application/json" } });
  }

  token(): Promise<TokenResponse> {
    return this.post<TokenResponse>(this.cfg.tokenUrl, {});
  }

  /** `action`: a quick-reply chip's action, sent verbatim (the server applies it). */
  send(text: string, clientMessageId: string, action?: ChipAction): Promise<SendResult> {
    return this.post<SendResult>(
      this.cfg.messageUrl,
      action ? { text, clientMessageId, action } : { text, clientMessageId },
    );
  }

  stop(messageId: string): Promise<unknown> {
    return this.post(this.cfg.stopUrl, { messageId });
  }

  contactEmail(email: string): Promise<unknown> {
    return this.post(this.cfg.contactUrl || "/api/chatbot/contact-email", { email });
  }

  rate(score: number, comment?: string): Promise<unknown> {
    return this.post(this.cfg.ratingUrl || "/api/chatbot/rating", comment ? { score, comment } : { score });
  }

  history(): Promise<{
    messages: Message[];
    welcome?: string;
    conversation?: { handoff?: boolean; contactEmail?: string };
  }> {
    return this.get(this.cfg.historyUrl, { shop: this.cfg.shop });
  }
}
