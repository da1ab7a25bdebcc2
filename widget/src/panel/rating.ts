/**
 * The one-click rating (CSAT) under the conversation, once it has ended.
 *
 * "Ended" for the widget: the shopper was answered (the last message is a finished reply
 * of the assistant or of staff, after a question) and then either closed the panel, or
 * the hand-off to staff was resolved (the assistant is back). The prompt then shows the
 * next time the panel is open, under the last reply, until the shopper rates or writes
 * again. One click on a face sends the score; a comment can follow. The rating goes to
 * the Django route (`POST /api/chatbot/rating`) on every engine.
 */
import { el } from "./dom";
import type { Texts } from "./i18n";

// Faces from Unicode 6.0, which every emoji font has (newer ones show as boxes on older systems).
export const FACES = ["😠", "😞", "😐", "😊", "😄"];

export type SendRating = (score: number, comment?: string) => Promise<unknown>;

export class RatingPrompt {
  readonly root: HTMLElement;
  private readonly faces: HTMLButtonElement[];
  private readonly note: HTMLElement;
  private readonly commentForm: HTMLFormElement;
  private readonly comment: HTMLInputElement;
  private score = 0;
  /** The reply this prompt rates (its id), while shown. */
  forReply: string | undefined;
  /** Told once a score was stored (the panel remembers what was rated). */
  onRated: ((replyId: string) => void) | undefined;

  constructor(
    private readonly t: Texts,
    private readonly send: SendRating,
  ) {
    this.faces = FACES.map((face, i) =>
      el(
        "button",
        {
          type: "button",
          class: "face",
          "aria-label": t.rateScore(i + 1),
          title: t.rateScore(i + 1),
          onclick: () => this.rate(i + 1),
        },
        face,
      ),
    );
    this.note = el("span", { class: "rq" }, t.rateQuestion);
    this.comment = el("input", {
      type: "text",
      maxlength: "1000",
      "aria-label": t.rateComment,
      placeholder: t.rateComment,
    });
    this.commentForm = el(
      "form",
      {
        class: "rc",
        hidden: true,
        onsubmit: (e: Event) => {
          e.preventDefault();
          this.sendComment();
        },
      },
      this.comment,
      el("button", { type: "submit", class: "link" }, t.send),
    );
    this.root = el(
      "div",
      { class: "rate", role: "group", "aria-label": t.rateQuestion, hidden: true },
      this.note,
      el("span", { class: "faces" }, ...this.faces),
      this.commentForm,
    );
  }

  show(replyId: string): void {
    if (this.forReply === replyId && !this.root.hidden) return;
    this.forReply = replyId;
    this.score = 0;
    this.note.textContent = this.t.rateQuestion;
    for (const b of this.faces) {
      b.disabled = false;
      b.removeAttribute("aria-pressed");
    }
    this.commentForm.hidden = true;
    this.comment.value = "";
    this.root.hidden = false;
  }

  hide(): void {
    this.root.hidden = true;
    this.forReply = undefined;
  }

  get shown(): boolean {
    return !this.root.hidden;
  }

  private async rate(score: number): Promise<void> {
    const replyId = this.forReply;
    if (!replyId) return;
    for (const b of this.faces) b.disabled = true;
    try {
      await this.send(score);
    } catch {
      this.note.textContent = this.t.rateFailed;
      for (const b of this.faces) b.disabled = false;
      return;
    }
    this.score = score;
    this.faces[score - 1]?.setAttribute("aria-pressed", "true");
    this.note.textContent = this.t.rateThanks;
    this.commentForm.hidden = false;
    this.onRated?.(replyId);
  }

  private async sendComment(): Promise<void> {
    const text = this.comment.value.trim();
    if (!text || !this.score) return;
    try {
      await this.send(this.score, text);
    } catch {
      this.note.textContent = this.t.rateFailed;
      return;
    }
    this.commentForm.hidden = true;
    this.note.textContent = this.t.rateCommentThanks;
  }
}
