import { describe, expect, it } from "vitest";
import type { ViewMessage } from "../src/panel/conversation";
import { formatPrice, initials, newClientMessageId, safeUrl } from "../src/panel/format";
import { texts } from "../src/panel/i18n";
import { renderCard, renderMessage } from "../src/panel/render";

const XSS = `<img src=x onerror=alert(1)>`;
const t = texts("en");
const noop = { retry: () => {}, choose: () => {} };

function view(partial: Partial<ViewMessage>): ViewMessage {
  return {
    id: "1",
    role: "assistant",
    text: "",
    status: "done",
    products: [],
    quickReplies: [],
    handoff: false,
    ...partial,
  };
}

describe("rendering keeps every text as text", () => {
  it("message text, product names and quick replies never become markup", () => {
    const node = renderMessage(
      view({
        text: `hi ${XSS} **${XSS}**`,
        products: [{ sku: XSS, name: XSS, price: "1.00", currency: "USD", inStock: true, url: "/p/1", imageUrl: null }],
        quickReplies: [XSS],
      }),
      { t, locale: "en-US", showChips: true },
      noop,
    );
    expect(node.querySelector("img")).toBeNull();
    expect(node.querySelector(".bub")?.textContent).toBe(`hi ${XSS} ${XSS}`);
    expect(node.querySelector(".bub strong")?.textContent).toBe(XSS);
    expect(node.querySelector(".cn")?.textContent).toBe(XSS);
    expect(node.querySelector(".chip")?.textContent).toBe(XSS);
  });

  it("shopper and staff text is plain too", () => {
    for (const role of ["shopper", "staff", "system"] as const) {
      const node = renderMessage(view({ role, text: XSS }), { t, locale: "en-US", showChips: false }, noop);
      expect(node.querySelector("img")).toBeNull();
      expect(node.textContent).toContain(XSS);
    }
  });

  it("drops javascript: links and images", () => {
    const card = renderCard(
      {
        sku: "a",
        name: "A",
        price: "1",
        currency: "USD",
        inStock: true,
        url: "javascript:alert(1)",
        imageUrl: "javascript:x",
      },
      t,
      "en-US",
    );
    expect(card.tagName).toBe("DIV");
    expect(card.querySelector("img")).toBeNull();
    expect(safeUrl("https://shop.example/p/1")).toBe("https://shop.example/p/1");
    expect(safeUrl("data:text/html,hi")).toBeNull();
  });
});

describe("product cards", () => {
  it("shows price with currency, stock in green, out of stock in red, link and image", () => {
    const inStock = renderCard(
      {
        sku: "B1",
        name: "Boots",
        price: "129.00",
        currency: "USD",
        stock: 12,
        inStock: true,
        url: "/p/b1",
        imageUrl: "/img/b1.jpg",
      },
      t,
      "en-US",
    );
    expect(inStock.tagName).toBe("A");
    expect(inStock.getAttribute("href")).toMatch(/\/p\/b1$/);
    expect(inStock.querySelector("img")?.getAttribute("src")).toMatch(/\/img\/b1\.jpg$/);
    expect(inStock.textContent).toContain("$129.00");
    expect(inStock.querySelector(".in")?.textContent).toBe("In stock");

    const out = renderCard(
      { sku: "P", name: "充电宝", price: "149", currency: "CNY", stock: 0, inStock: false },
      texts("zh-hans"),
      "zh-CN",
    );
    expect(out.querySelector(".out")?.textContent).toBe("暂时缺货");
    expect(out.textContent).toContain("¥149.00");
  });

  it("says when only a few are left", () => {
    const card = renderCard({ sku: "x", name: "x", price: "1", currency: "USD", stock: 2, inStock: true }, t, "en-US");
    expect(card.querySelector(".in")?.textContent).toBe("Only 2 left");
  });

  it("falls back to the plain amount for unknown currencies", () => {
    expect(formatPrice({ price: "5.00", currency: "???" }, "en-US")).toBe("5.00 ???");
  });
});

describe("message states", () => {
  it("shows the thinking dots while a reply has no text yet", () => {
    const node = renderMessage(view({ status: "pending" }), { t, locale: "en-US", showChips: false }, noop);
    expect(node.querySelector(".dots")).not.toBeNull();
    expect(node.textContent).toContain("Thinking…");
  });

  it("offers retry on a failed reply and on a message that was not sent", () => {
    const retried: string[] = [];
    const actions = { retry: (m: ViewMessage) => retried.push(m.id), choose: () => {} };
    const failed = renderMessage(
      view({ id: "r", status: "failed", text: "Sorry" }),
      { t, locale: "en-US", showChips: false },
      actions,
    );
    (failed.querySelector(".err button") as HTMLButtonElement).click();
    const unsent = renderMessage(
      view({ id: "s", role: "shopper", text: "hi", status: "pending", local: true, sendError: "Not sent." }),
      { t, locale: "en-US", showChips: false },
      actions,
    );
    (unsent.querySelector(".err button") as HTMLButtonElement).click();
    expect(retried).toEqual(["r", "s"]);
  });

  it("keeps an interrupted reply's partial text, says it was cut off and offers retry", () => {
    const retried: string[] = [];
    const node = renderMessage(
      view({ id: "r", status: "interrupted", text: "The Alpine 38 is" }),
      { t, locale: "en-US", showChips: false },
      { retry: (m: ViewMessage) => retried.push(m.id), choose: () => {} },
    );
    expect(node.querySelector(".bub")?.textContent).toContain("The Alpine 38 is");
    expect(node.querySelector(".err")?.textContent).toContain("cut off");
    (node.querySelector(".err button") as HTMLButtonElement).click();
    expect(retried).toEqual(["r"]);
  });

  it("shows the hand-off notice", () => {
    const node = renderMessage(
      view({ handoff: true, handoffNotice: "A person will reply" }),
      { t, locale: "en-US", showChips: false },
      noop,
    );
    expect(node.querySelector(".note")?.textContent).toBe("A person will reply");
  });
});

describe("helpers", () => {
  it("initials", () => {
    expect(initials("Trail Outfitters")).toBe("T");
    expect(initials("Northwind Outfitters")).toBe("N"); // never a word such as "NO"
    expect(initials("莲花生活馆")).toBe("莲");
  });

  it("client message ids are UUIDs, with or without crypto.randomUUID", () => {
    expect(newClientMessageId()).toMatch(/^[0-9a-f-]{36}$/);
    const original = crypto.randomUUID;
    Object.defineProperty(crypto, "randomUUID", { value: undefined, configurable: true });
    try {
      expect(newClientMessageId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    } finally {
      Object.defineProperty(crypto, "randomUUID", { value: original, configurable: true });
    }
  });
});
