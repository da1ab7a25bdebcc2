import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { ViewMessage } from "../src/panel/conversation";
import { texts } from "../src/panel/i18n";
import { prepare, renderMarkdown } from "../src/panel/markdown";
import { renderMessage } from "../src/panel/render";

function md(source: string, streaming = false): HTMLElement {
  const div = document.createElement("div");
  renderMarkdown(div, source, streaming);
  return div;
}

/** Every element and attribute in the tree, to check nothing unexpected was built. */
function tags(node: HTMLElement): string[] {
  return Array.from(node.querySelectorAll("*"), (e) => e.tagName.toLowerCase());
}

describe("markdown: what language models write", () => {
  it("bullet lists, numbered steps and a lead-in line without a blank line", () => {
    const div = md(
      "Here are two:\n- **Trail Tent** – $199\n- Rain fly\n\nSteps:\n1. Sign in\n2. Open *Orders*\n3. Click `Return`",
    );
    expect(div.querySelector("p")?.textContent).toBe("Here are two:");
    const items = div.querySelectorAll("ul > li");
    expect(Array.from(items, (li) => li.textContent)).toEqual(["Trail Tent – $199", "Rain fly"]);
    expect(div.querySelector("ul li strong")?.textContent).toBe("Trail Tent");
    expect(Array.from(div.querySelectorAll("ol > li"), (li) => li.textContent)).toEqual([
      "Sign in",
      "Open Orders",
      "Click Return",
    ]);
    expect(div.querySelector("ol em")?.textContent).toBe("Orders");
    expect(div.querySelector("ol code")?.textContent).toBe("Return");
  });

  it("a numbered list keeps its first number", () => {
    const ol = md("3. third\n4. fourth").querySelector("ol") as HTMLOListElement;
    expect(ol.start).toBe(3);
  });

  it("bold, italics, strikethrough, line breaks and paragraphs", () => {
    const div = md("**bold** and *italic* and _also_ ~~gone~~\nnext line\n\nnew paragraph");
    expect(div.querySelector("strong")?.textContent).toBe("bold");
    expect(Array.from(div.querySelectorAll("em"), (e) => e.textContent)).toEqual(["italic", "also"]);
    expect(div.querySelector("s")?.textContent).toBe("gone");
    expect(div.querySelectorAll("p")).toHaveLength(2);
    expect(div.querySelector("p br")).not.toBeNull();
    expect(div.querySelectorAll("p")[1].textContent).toBe("new paragraph");
    // Each <br> keeps its newline in the text (copying, textContent).
    expect(md("line one\nline two").textContent).toBe("line one\nline two");
  });

  it("Chinese text with bold and a list", () => {
    const div = md("推荐**普洱茶**，适合冬天：\n- 熟普\n- 生普");
    expect(div.querySelector("strong")?.textContent).toBe("普洱茶");
    expect(div.querySelectorAll("li")).toHaveLength(2);
  });

  it("underscores inside names stay underscores", () => {
    expect(md("SKU NW_TNT_2P and snake_case_name").textContent).toBe("SKU NW_TNT_2P and snake_case_name");
    expect(md("SKU NW_TNT_2P").querySelector("em")).toBeNull();
    expect(prepare("a_b `c_d`\n```\ne_f\n```")).toBe("a\\_b `c_d`\n```\ne_f\n```");
  });

  it("a marker never closed stays a character", () => {
    expect(md("call window.__init now").textContent).toBe("call window.__init now");
    expect(md("call window.__init now").querySelector("strong")).toBeNull();
    expect(md("a stray ** here and **bold**").querySelectorAll("strong")).toHaveLength(1);
    expect(md("a stray ** here and **bold**").textContent).toBe("a stray ** here and bold");
    expect(md("*one* and *two and 2 * 3").textContent).toBe("one and *two and 2 * 3");
    expect(md("**see `x*y` here**").querySelector("strong code")?.textContent).toBe("x*y");
    expect(md("* item *a*").querySelector("li em")?.textContent).toBe("a");
  });

  it("headings become a bold line, not a heading of the page", () => {
    const div = md("## Shipping\nTwo days.");
    expect(div.querySelector("h2")).toBeNull();
    expect(div.querySelector("p > strong")?.textContent).toBe("Shipping");
  });

  it("http(s) links open in a new tab without the opener", () => {
    const a = md("See [our returns page](https://shop.example/returns).").querySelector("a") as HTMLAnchorElement;
    expect(a.href).toBe("https://shop.example/returns");
    expect(a.textContent).toBe("our returns page");
    expect(a.target).toBe("_blank");
    expect(a.rel).toBe("noopener noreferrer nofollow");
    expect(md("Go to https://shop.example/faq now").querySelector("a")?.getAttribute("href")).toBe(
      "https://shop.example/faq",
    );
  });
});

const XSS_CORPUS = [
  "<img src=x onerror=alert(1)>",
  "<script>alert(1)</script>",
  "[x](javascript:alert(1))",
  "[x](JaVaScRiPt:alert(1))",
  "[x](java\tscript:alert(1))",
  "[x](data:text/html,<script>alert(1)</script>)",
  "[x](vbscript:msgbox(1))",
  "![x](javascript:alert(1))",
  "![pixel](https://tracker.example/p.gif)",
  '<a href="javascript:alert(1)">click</a>',
  "<iframe src=https://evil.example></iframe>",
  '<svg onload="alert(1)">',
  "[<img src=x onerror=alert(1)>](https://ok.example)",
  "**<b onmouseover=alert(1)>hi</b>**",
  "`<img src=x onerror=alert(1)>`",
  "```\n<script>alert(1)</script>\n```",
  '<https://ok.example/" onclick="alert(1)>',
];

describe("markdown: hostile text renders inert", () => {
  it.each(XSS_CORPUS)("%s", (source) => {
    for (const streaming of [false, true]) {
      const div = md(source, streaming);
      const allowed = new Set(["p", "a", "strong", "em", "code", "pre", "br", "span"]);
      for (const tag of tags(div)) expect(allowed.has(tag), `<${tag}> from ${source}`).toBe(true);
      for (const el of div.querySelectorAll("*")) {
        for (const name of el.getAttributeNames()) {
          expect(["href", "target", "rel"], `${name} on <${el.tagName}>`).toContain(name);
        }
      }
      for (const a of div.querySelectorAll("a")) expect(a.href).toMatch(/^https:\/\//);
      expect(div.querySelector("img, script, iframe, svg")).toBeNull();
    }
  });

  it("raw HTML stays visible as the text the model wrote", () => {
    expect(md("<img src=x onerror=alert(1)>").textContent).toBe("<img src=x onerror=alert(1)>");
    expect(md("a <b>b</b>").textContent).toBe("a <b>b</b>");
  });

  it("a refused link keeps its text; an image becomes a link to the picture", () => {
    const refused = md("[click me](javascript:alert(1))");
    expect(refused.querySelector("a")).toBeNull();
    expect(refused.textContent).toContain("click me");
    const image = md("![the tent](https://shop.example/tent.png)").querySelector("a") as HTMLAnchorElement;
    expect(image.href).toBe("https://shop.example/tent.png");
    expect(image.textContent).toBe("the tent");
  });
});

describe("markdown while a reply streams", () => {
  it("half-written markup never shows its markers", () => {
    for (const partial of [
      "Our best: **Trail Te",
      "Use *care",
      "Run `npm",
      "See [our returns pa",
      "See [our returns page](https://shop.exa",
      "Options:\n-",
      "Options:\n- one\n- tw",
      "Options:\n1.",
      "Done **",
    ]) {
      const text = md(partial, true).textContent || "";
      for (const marker of ["**", "`", "[", "](", "http"]) expect(text, partial).not.toContain(marker);
      expect(text, partial).not.toMatch(/(^|\s)[-*]\s*$/);
    }
  });

  it("the finished text is complete", () => {
    const partial = md("Options:\n- one\n- tw", true);
    expect(partial.querySelectorAll("li")).toHaveLength(2);
    const done = md("Options:\n- one\n- two");
    expect(done.querySelectorAll("li")[1].textContent).toBe("two");
  });
});

describe("messages render Markdown for the assistant and staff only", () => {
  const t = texts("en");
  const noop = { retry: () => {}, choose: () => {} };
  const view = (partial: Partial<ViewMessage>): ViewMessage => ({
    id: "1",
    role: "assistant",
    text: "",
    status: "done",
    products: [],
    quickReplies: [],
    handoff: false,
    ...partial,
  });

  it("assistant and staff lists are lists; the shopper's text is as typed", () => {
    for (const role of ["assistant", "staff"] as const) {
      const node = renderMessage(view({ role, text: "- a\n- b" }), { t, locale: "en-US", showChips: false }, noop);
      expect(node.querySelectorAll(".bub li")).toHaveLength(2);
    }
    const mine = renderMessage(
      view({ role: "shopper", text: "- a\n- **b**" }),
      { t, locale: "en-US", showChips: false },
      noop,
    );
    expect(mine.querySelector(".bub li, .bub strong")).toBeNull();
    expect(mine.querySelector(".bub")?.textContent).toBe("- a\n- **b**");
  });

  it("a streaming reply shows its caret at the end of its last block", () => {
    const node = renderMessage(
      view({ status: "streaming", text: "Options:\n- one\n- two" }),
      { t, locale: "en-US", showChips: false },
      noop,
    );
    expect(node.querySelector(".bub.caret")).not.toBeNull();
    expect(node.querySelector("li:last-child.tail")).not.toBeNull();
  });
});

describe("the built panel", () => {
  it("uses no regex lookbehind (Safari before 16.4 could not parse the panel at all)", () => {
    const built = readFileSync(
      resolve(dirname(fileURLToPath(import.meta.url)), "../../chatbot/static/chatbot/panel.js"),
      "utf8",
    );
    expect(built).not.toMatch(/\(\?<[=!]/);
  });
});
