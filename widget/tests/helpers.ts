import type { LoaderApi, MountData } from "../src/shared";
import type { ChatEvent, ChipAction, History, Message, SendResult, Transport } from "../src/transport/types";

export function msg(partial: Partial<Message> & { id: string }): Message {
  return { role: "assistant", text: "", status: "done", products: [], quickReplies: [], handoff: false, ...partial };
}

/** A loader double: a real shadow root, the unread badge as a number. */
export function fakeLoader(data: MountData = {}): LoaderApi & { unread: number; closes: number } {
  const host = document.createElement("chatbot-widget");
  document.body.appendChild(host);
  const root = host.attachShadow({ mode: "open" });
  const launcher = document.createElement("button");
  root.appendChild(launcher);
  let opened = false;
  const api = {
    host,
    root,
    data: { shop: "demo", lang: "en", engine: "local", csrfToken: "tok", ...data },
    launcher,
    unread: -1,
    closes: 0,
    isOpen: () => opened,
    open() {
      opened = true;
      api.panel?.setOpen(true);
    },
    close() {
      opened = false;
      api.closes++;
      api.panel?.setOpen(false);
    },
    setUnread(n: number) {
      api.unread = n;
    },
  } as LoaderApi & { unread: number; closes: number };
  return api;
}

/** A transport double the test drives by hand. */
export class FakeTransport implements Transport {
  listeners = new Set<(e: ChatEvent) => void>();
  sent: { text: string; clientMessageId: string; action?: ChipAction }[] = [];
  stopped: string[] = [];
  emails: string[] = [];
  reads = 0;
  userId: string | undefined;
  historyCalls = 0;
  historyResult: History = { messages: [] };
  sendImpl: (text: string, cmid: string) => Promise<SendResult> = async (text, clientMessageId) => ({
    message: msg({ id: `s${this.sent.length}`, role: "shopper", text, clientMessageId, status: "received" }),
    reply: msg({ id: `r${this.sent.length}`, status: "pending", replyTo: `s${this.sent.length}` }),
  });

  async connect(): Promise<void> {}
  async history(): Promise<History> {
    this.historyCalls++;
    return this.historyResult;
  }
  send(text: string, clientMessageId: string, action?: ChipAction): Promise<SendResult> {
    this.sent.push(action ? { text, clientMessageId, action } : { text, clientMessageId });
    return this.sendImpl(text, clientMessageId);
  }
  async stop(messageId: string): Promise<void> {
    this.stopped.push(messageId);
  }
  async leaveEmail(email: string): Promise<void> {
    this.emails.push(email);
  }
  ratings: { score: number; comment?: string }[] = [];
  rateImpl: () => Promise<unknown> = async () => ({});
  rate(score: number, comment?: string): Promise<unknown> {
    this.ratings.push(comment ? { score, comment } : { score });
    return this.rateImpl();
  }
  onEvent(cb: (e: ChatEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
  markRead(): void {
    this.reads++;
  }
  close(): void {}
  emit(e: ChatEvent): void {
    for (const cb of this.listeners) cb(e);
  }
}

export const flush = () => new Promise((r) => setTimeout(r, 0));
