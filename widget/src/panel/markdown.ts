/**
 * Replies from language models arrive as Markdown. `streaming-markdown` (3 KB gzipped,
 * written for text that arrives in pieces) reads it and calls back with tokens; this module
 * builds the DOM from them with createElement and text nodes only. Nothing the model wrote
 * is ever parsed as HTML (the parser leaves raw HTML as text), links go only to http(s) (else
 * their text shows) and open in a new tab without the opener, and the model cannot place
 * images (a tracking pixel, a fake button): an image becomes a link to it.
 *
 * The parser is optimistic: `**bo` is already bold, `[tex` already a (not yet usable) link,
 * and it holds back a lone `-` or `*` until it knows what it starts, so a reply re-rendered
 * from its accumulated text while it streams never shows half-written markup.
 */
import * as smd from "streaming-markdown";
import { safeUrl } from "./format";

interface State {
  /** Open elements, innermost last. */
  stack: HTMLElement[];
}

const BLOCK: Partial<Record<smd.Token, keyof HTMLElementTagNameMap>> = {
  [smd.PARAGRAPH]: "p",
  [smd.BLOCKQUOTE]: "blockquote",
  [smd.RULE]: "hr",
  [smd.ITALIC_AST]: "em",
  [smd.ITALIC_UND]: "em",
  [smd.STRONG_AST]: "strong",
  [smd.STRONG_UND]: "strong",
  [smd.STRIKE]: "s",
  [smd.CODE_INLINE]: "code",
  [smd.LIST_UNORDERED]: "ul",
  [smd.LIST_ORDERED]: "ol",
  [smd.LIST_ITEM]: "li",
  [smd.TABLE_CELL]: "td",
};

function child<K extends keyof HTMLElementTagNameMap>(parent: HTMLElement, tag: K): HTMLElementTagNameMap[K] {
  return parent.appendChild(document.createElement(tag));
}

function open(s: State, type: smd.Token): void {
  const parent = s.stack[s.stack.length - 1];
  let node: HTMLElement;
  if (type >= smd.HEADING_1 && type <= smd.HEADING_6) {
    // A heading inside one chat bubble would break the page's outline: a bold line.
    node = child(child(parent, "p"), "strong");
  } else if (type === smd.CODE_BLOCK || type === smd.CODE_FENCE) {
    node = child(child(parent, "pre"), "code");
  } else if (type === smd.LINK || type === smd.RAW_URL || type === smd.IMAGE) {
    // Stays a plain span unless an http(s) address arrives (see attr).
    node = child(parent, "span");
    node.dataset.link = type === smd.IMAGE ? "image" : "link";
  } else if (type === smd.CHECKBOX) {
    node = child(parent, "span");
    node.textContent = "☐ ";
  } else if (type === smd.LINE_BREAK) {
    // The newline too: the text (copied, or read as textContent) keeps its lines.
    node = child(parent, "br");
    parent.append("\n");
  } else if (type === smd.TABLE) {
    node = child(child(parent, "div"), "table");
  } else if (type === smd.TABLE_ROW) {
    const section = parent.children.length ? parent.children[1] || child(parent, "tbody") : child(parent, "thead");
    node = child(section as HTMLElement, "tr");
  } else {
    const tag = BLOCK[type];
    // Equations and anything new: their text, in a neutral span.
    node = child(parent, tag === "td" && parent.parentElement?.tagName === "THEAD" ? "th" : tag || "span");
  }
  s.stack.push(node);
}

function attr(s: State, type: smd.Attr, value: string): void {
  const node = s.stack[s.stack.length - 1];
  if ((type === smd.HREF || type === smd.SRC) && node.dataset.link) {
    const href = safeUrl(value);
    if (!href) return;
    const a = document.createElement("a");
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer nofollow";
    a.append(...node.childNodes);
    a.dataset.link = node.dataset.link;
    node.replaceWith(a);
    s.stack[s.stack.length - 1] = a;
  } else if (type === smd.CHECKED) node.textContent = "☑ ";
  else if (type === smd.START && node instanceof HTMLOListElement) {
    const start = Number(value);
    if (Number.isInteger(start) && start !== 1) node.start = start;
  }
}

function close(s: State): void {
  // The root (the bubble's content) is never closed, whatever the parser sends.
  if (s.stack.length <= 1) return;
  const node = s.stack.pop() as HTMLElement;
  // An image link names the picture; without a description, by its address.
  if (node instanceof HTMLAnchorElement && node.dataset.link === "image" && !node.textContent) {
    node.textContent = node.href;
  }
  if (node.dataset.link) delete node.dataset.link;
}

const CODE_SPAN = /(`+[^`]*`+)/;
// No lookbehind in this file: Safari before 16.4 cannot parse it, and would lose the panel.
const INTRAWORD = /([\p{L}\p{N}])_(?=[\p{L}\p{N}])/gu;

/**
 * Two differences from CommonMark that matter in shop answers, fixed before parsing (code
 * spans and fences untouched): `a_b_c` is a name, not emphasis (underscores between letters
 * or digits are escaped); and a marker that is never closed (`window.__init` or a stray
 * `**`) stays a character instead of making the rest of the line bold (the last unpaired
 * one is escaped). `open`: the last line is still being written, so its markers may yet
 * close; it is left to the parser, which shows them optimistically.
 */
export function prepare(source: string, open = false): string {
  let fenced = false;
  const lines = source.split("\n");
  return lines
    .map((line, n) => {
      if (/^ {0,3}(```|~~~)/.test(line)) {
        fenced = !fenced;
        return line;
      }
      if (fenced || !/[*_]/.test(line)) return line;
      const named = line
        .split(CODE_SPAN)
        .map((part, i) => (i % 2 ? part : part.replace(INTRAWORD, "$1\\_")))
        .join("");
      return open && n === lines.length - 1 ? named : balance(named);
    })
    .join("\n");
}

/** Where `marker` stands in `text` as a delimiter: not escaped, and a single one not doubled. */
function positions(text: string, marker: string): number[] {
  const found: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text.startsWith(marker, i)) {
      const c = marker[0];
      if (marker.length === 2 || (text[i - 1] !== c && text[i + 1] !== c)) found.push(i);
      else while (text[i + 1] === c) i++;
      i += marker.length - 1;
    }
  }
  return found;
}

/** Escapes the last unpaired `**`, `__`, `*` and `_` of a line (code spans ignored). */
function balance(line: string): string {
  const masked = line.replace(/`+[^`]*`+/g, (code) => "\u0001".repeat(code.length));
  // Between spaces ("2 * 3", "a ** b") a marker is a character already; "* " opens a bullet.
  const spaced = (i: number, w: number) => /\s/.test(masked[i - 1] || " ") && /\s/.test(masked[i + w] || " ");
  const bullet = (i: number) => /^\s*$/.test(masked.slice(0, i)) && masked[i + 1] === " ";
  const escapes: [number, number][] = [];
  for (const marker of ["**", "__", "*", "_"]) {
    const at = positions(masked, marker).filter((i) => !spaced(i, marker.length) && !(marker === "*" && bullet(i)));
    if (at.length % 2) escapes.push([at[at.length - 1], marker.length]);
  }
  let out = line;
  for (const [at, width] of escapes.sort((x, y) => y[0] - x[0])) {
    out = `${out.slice(0, at)}${out.slice(at, at + width).replace(/./g, "\\$&")}${out.slice(at + width)}`;
  }
  return out;
}

/**
 * Appends the Markdown `source` to `parent` as DOM. `streaming`: the text is unfinished, so
 * what the parser still holds back (a possible marker at the very end) stays unseen.
 */
export function renderMarkdown(parent: HTMLElement, source: string, streaming = false): void {
  const root = document.createElement("div");
  const state: State = { stack: [root] };
  const parser = smd.parser({
    data: state,
    add_token: (s: State, type: smd.Token) => (type === smd.DOCUMENT ? s.stack.push(s.stack[0]) : open(s, type)),
    end_token: close,
    add_text: (s: State, text: string) => s.stack[s.stack.length - 1].append(text),
    set_attr: attr,
  });
  try {
    smd.parser_write(parser, prepare(source, streaming));
    if (!streaming) smd.parser_end(parser);
  } catch {
    // A text the parser cannot take (it has a nesting limit): show it as it is.
    root.replaceChildren(source);
  }
  parent.append(...root.childNodes);
}

/** What a screen reader should hear for a Markdown text: its words, blocks apart. */
export function markdownText(source: string): string {
  const div = document.createElement("div");
  renderMarkdown(div, source);
  for (const block of div.querySelectorAll("p, li, br, tr, th, td, pre")) block.after(" ");
  return (div.textContent || "").replace(/\s+/g, " ").trim();
}
