/** The wire model of docs/contracts.md and the one interface both chat engines implement. */

export type Role = "shopper" | "assistant" | "staff" | "system";
export type Status = "received" | "pending" | "streaming" | "done" | "failed" | "stopped" | "interrupted";

export interface Card {
  sku: string;
  name: string;
  price: string;
  currency: string;
  stock?: number | string | null;
  inStock: boolean;
  url?: string | null;
  imageUrl?: string | null;
}

/**
 * What a quick-reply chip does when clicked. The shopper's bubble shows the label; the action
 * object goes back to the server verbatim with the message (`action` in stream-message).
 */
export interface ChipAction {
  type: string;
  [key: string]: unknown;
}

/** A chip: a plain string (the text is sent as the shopper's message) or a label with an action. */
export type QuickReply = string | { label: string; action?: ChipAction };

export interface Message {
  id: string;
  clientMessageId?: string | null;
  role: Role;
  text: string;
  status: Status;
  replyTo?: string | null;
  createdAt?: string | null;
  products?: Card[];
  quickReplies?: QuickReply[];
  handoff?: boolean;
  /** A system message about the conversation's state: waiting for staff (`handoff`),
   * staff away with the email form (`away`), the assistant back (`back`), `closed`. */
  notice?: Notice | null;
}

export type Notice = "handoff" | "away" | "back" | "closed";

/** Whether a person is being waited for, from the newest message that says so. */
export function handedOff(messages: Message[], fallback = false): boolean {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.notice === "back" || m.notice === "closed") return false;
    if (m.notice === "handoff" || m.notice === "away" || m.handoff) return true;
  }
  return fallback;
}

/** Events the panel understands. Local SSE events arrive as-is; Stream events are mapped. */
export type ChatEvent =
  | { type: "message.new"; message: Message }
  | { type: "reply.thinking"; messageId: string }
  | { type: "reply.delta"; messageId: string; text: string }
  /** Whole text so far (Stream sends full text on message.updated, not deltas). */
  | { type: "reply.text"; messageId: string; text: string }
  /** The assistant's indicator went away (Stream ai_indicator.clear / stop). */
  | { type: "reply.idle"; messageId: string }
  | { type: "reply.products"; messageId: string; products: Card[] }
  | { type: "reply.quick_replies"; messageId: string; options: QuickReply[] }
  | { type: "reply.handoff"; messageId: string; notice: string }
  | { type: "reply.done"; message: Message }
  | { type: "reply.failed"; message: Message; retryable: boolean }
  | { type: "connection"; state: "open" | "reconnecting" }
  /** The server is restarting (SSE `server.restarting`); the stream resumes by itself. */
  | { type: "server.restarting" }
  /**
   * The person chatting changed under the open widget (signed in or out, maybe in another
   * tab). Sent before any event of the new identity's stream.
   */
  | { type: "identity"; userId: string; userName?: string };

export interface History {
  messages: Message[];
  welcome?: string;
  handoff?: boolean;
  /** The email address the shopper left while staff were away (local engine's history). */
  contactEmail?: string;
  /** Set when the engine keeps its own read state (Stream's countUnread). */
  unread?: number;
}

export interface SendResult {
  message: Message;
  reply?: Message | null;
}

export interface Transport {
  /** Who the engine is chatting as, once connected (the token route's `userId`). */
  readonly userId?: string;
  connect(): Promise<void>;
  history(): Promise<History>;
  send(text: string, clientMessageId: string, action?: ChipAction): Promise<SendResult>;
  stop(messageId: string): Promise<void>;
  /** Outside business hours: the address staff answers are emailed to. */
  leaveEmail(email: string): Promise<void>;
  /** The shopper's rating of the conversation (CSAT 1–5), through the Django route on every engine. */
  rate(score: number, comment?: string): Promise<unknown>;
  onEvent(cb: (event: ChatEvent) => void): () => void;
  /** Tell the engine the shopper has seen everything (Stream's markRead). */
  markRead?(): void;
  close(): void;
}

/** The routes and identity a transport needs, read from the mount tag. */
export interface TransportConfig {
  shop: string;
  csrfToken: string;
  tokenUrl: string;
  messageUrl: string;
  historyUrl: string;
  eventsUrl: string;
  stopUrl: string;
  contactUrl?: string;
  ratingUrl?: string;
}

export interface TokenResponse {
  token: string;
  apiKey: string;
  userId: string;
  userName?: string;
  engine?: "local" | "stream";
  channel?: { type: string; id: string };
  expiresAt?: number;
  eventsUrl?: string;
  /** Stream engine: the assistant's Stream user id, to tell its messages apart. */
  assistantUserId?: string;
  /** Stream engine: API base URL override (a local Stream double in tests/dev). */
  baseUrl?: string;
}
