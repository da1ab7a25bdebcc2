/**
 * What the loader and the panel share. The loader bundle must stay under 2 KB gzipped,
 * so this module holds types and two tiny helpers only.
 */

import type { Transport, TransportConfig } from "./transport/types";

/** The `data-*` attributes of the mount tag (see docs/contracts.md, "Widget mount"). */
export interface MountData {
  shop?: string;
  shopName?: string;
  lang?: string;
  engine?: string;
  color?: string;
  position?: string;
  welcome?: string;
  /** The assistant's promise, shown under the shop name. */
  promise?: string;
  /** Business hours of the people behind the assistant (hand-off notice). */
  hours?: string;
  csrfToken?: string;
  tokenUrl?: string;
  messageUrl?: string;
  historyUrl?: string;
  eventsUrl?: string;
  stopUrl?: string;
  contactUrl?: string;
  ratingUrl?: string;
  panelSrc?: string;
  streamSrc?: string;
  /** "1": the conversation is active (a reply in flight, staff lately): connect before opening. */
  active?: string;
  /** Seconds a reply may go without news before the panel checks on it. */
  replyTimeout?: string;
  /** The shop's logo for the panel header (else one letter of its name). */
  logo?: string;
}

/** The panel's side of the loader/panel handshake. */
export interface PanelHandle {
  setOpen(open: boolean): void;
}

/** Published by the loader as `window.__chatbotLoader`; the panel mounts through it. */
export interface LoaderApi {
  host: HTMLElement;
  root: ShadowRoot;
  data: MountData;
  launcher: HTMLButtonElement;
  isOpen(): boolean;
  open(): void;
  close(): void;
  setUnread(n: number): void;
  panel?: PanelHandle;
}

declare global {
  interface Window {
    __chatbotLoader?: LoaderApi;
    /** Published by stream-transport.js. */
    __chatbotStream?: { createStreamTransport(cfg: TransportConfig): Transport };
  }
}

/** localStorage keys, namespaced per shop so two shops on one domain do not mix. */
export const storageKey = (shop: string | undefined, name: string): string => `chatbot:${shop || "default"}:${name}`;

export const isZh = (lang: string | undefined): boolean => /^zh/i.test(lang || "");
