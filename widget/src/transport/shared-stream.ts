/**
 * One event stream per browser for a shop, shared by its tabs. The server refuses a fifth
 * concurrent stream of one identity, and a shopper with a few tabs open would otherwise
 * get there quickly. A Web Lock held for the tab's life elects the leader; only the leader
 * opens the EventSource and relays every event over a BroadcastChannel. When the leader's
 * tab closes, the browser grants the lock to a waiting tab, which then opens the stream.
 */
import { storageKey } from "../shared";
import type { ChatEvent } from "./types";

/** The slice of `navigator.locks` used here. */
export interface LocksLike {
  request(name: string, options: { ifAvailable?: boolean }, cb: (lock: unknown) => unknown): Promise<unknown>;
}

/** The slice of `BroadcastChannel` used here. */
export interface ChannelLike {
  onmessage: ((ev: MessageEvent) => void) | null;
  postMessage(data: unknown): void;
  close(): void;
}

export interface ShareDeps {
  /** `null`: no Web Locks, every tab opens its own stream (the default where missing). */
  locks?: LocksLike | null;
  BroadcastChannel?: (new (name: string) => ChannelLike) | null;
}

/** What travels between tabs: one event, its SSE id, and whose stream it came from. */
export interface Relayed {
  event: ChatEvent;
  id?: string;
  user?: string;
}

export class StreamShare {
  /** This tab holds the lock: it owns the EventSource and relays what it gets. */
  leader = false;
  private channel: ChannelLike | null;
  private closed = false;
  private release: () => void = () => {};

  constructor(
    private readonly name: string,
    private readonly locks: LocksLike,
    Channel: new (name: string) => ChannelLike,
    onRelayed: (r: Relayed) => void,
  ) {
    const channel = new Channel(name);
    channel.onmessage = (ev) => {
      const r = ev.data as Relayed | null;
      if (!this.closed && typeof r?.event?.type === "string") onRelayed(r);
    };
    this.channel = channel;
  }

  /**
   * Resolves once this tab knows whether it leads right now (so the caller can open the
   * stream at once); `onLead` runs when it starts leading, now or after another tab left.
   */
  elect(onLead: () => void): Promise<void> {
    const held = new Promise<void>((resolve) => {
      this.release = resolve;
    });
    const take = (lock: unknown) => {
      if (!lock || this.closed) return undefined;
      this.leader = true;
      try {
        onLead();
      } catch {
        // Keep the lock even so: letting go would make a second leader while we stream.
      }
      return held; // the lock stays ours until close() or the tab goes away
    };
    return new Promise<void>((resolve) => {
      this.locks
        .request(this.name, { ifAvailable: true }, (lock) => {
          // The caller resumes after this callback, so it sees `leader` already set.
          resolve();
          if (!lock) this.locks.request(this.name, {}, take).catch(() => {});
          return take(lock);
        })
        .catch(() => {
          // Locks refused (a sandboxed frame): stream alone and relay nothing, as without locks.
          this.channel?.close();
          this.channel = null;
          if (!this.leader) take(true);
          resolve();
        });
    });
  }

  publish(r: Relayed): void {
    try {
      this.channel?.postMessage(r);
    } catch {
      // A tab in the middle of unloading: the others will elect a new leader anyway.
    }
  }

  close(): void {
    this.closed = true;
    this.leader = false;
    this.release();
    this.channel?.close();
    this.channel = null;
  }
}

/** A share for `shop`, or null where the browser lacks Web Locks or BroadcastChannel. */
export function shareStream(shop: string, deps: ShareDeps, onRelayed: (r: Relayed) => void): StreamShare | null {
  const locks = deps.locks === undefined ? (globalThis.navigator?.locks as LocksLike | undefined) : deps.locks;
  const Channel = deps.BroadcastChannel === undefined ? globalThis.BroadcastChannel : deps.BroadcastChannel;
  if (!locks || !Channel) return null;
  return new StreamShare(storageKey(shop, "events"), locks, Channel, onRelayed);
}
