import type { Message, SendResult, TokenResponse, TransportConfig } from "./types";

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

export class ChatApi {
  constructor(
    readonly cfg: TransportConfig,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {}

  post<T>(url: string, body: Record<string, unknown>): Promise<T> {
    return this.fetchImpl(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": this.cfg.csrfToken,
      },
      body: JSON.stringify({ shop: this.cfg.shop || undefined, ...body }),
    }).then((res) => parse<T>(res));
  }

  get<T>(url: string, params: Record<string, string>): Promise<T> {
    const u = new URL(url, location.href);
    for (const [k, v] of Object.entries(params)) if (v) u.searchParams.set(k, v);
    return this.fetchImpl(u.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then((res) => parse<T>(res));
  }

  token(): Promise<TokenResponse> {
    return this.post<TokenResponse>(this.cfg.tokenUrl, {});
  }

  send(text: string, clientMessageId: string): Promise<SendResult> {
    return this.post<SendResult>(this.cfg.messageUrl, { text, clientMessageId });
  }

  stop(messageId: string): Promise<unknown> {
    return this.post(this.cfg.stopUrl, { messageId });
  }

  history(): Promise<{ messages: Message[]; welcome?: string; conversation?: { handoff?: boolean } }> {
    return this.get(this.cfg.historyUrl, { shop: this.cfg.shop });
  }
}
