import { storageKey } from "../shared";

/** Web storage that may be missing or throw (Safari private mode, blocked cookies). */
export class SafeStore {
  private readonly area: Storage | undefined;

  constructor(
    kind: "localStorage" | "sessionStorage",
    private readonly shop: string | undefined,
  ) {
    try {
      this.area = window[kind];
    } catch {
      this.area = undefined;
    }
  }

  get(name: string): string | null {
    try {
      return this.area?.getItem(storageKey(this.shop, name)) ?? null;
    } catch {
      return null;
    }
  }

  set(name: string, value: string | null): void {
    try {
      if (value === null) this.area?.removeItem(storageKey(this.shop, name));
      else this.area?.setItem(storageKey(this.shop, name), value);
    } catch {
      // Quota or blocked storage: the widget works, it just forgets across pages.
    }
  }

  getJson<T>(name: string, fallback: T): T {
    const raw = this.get(name);
    if (!raw) return fallback;
    try {
      return JSON.parse(raw) as T;
    } catch {
      return fallback;
    }
  }
}
