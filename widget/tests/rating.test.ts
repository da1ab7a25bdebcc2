import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Panel } from "../src/panel/panel";
import { FakeTransport, fakeLoader, flush, msg } from "./helpers";

async function answered(transport = new FakeTransport()) {
  transport.historyResult = {
    messages: [
      msg({ id: "1", role: "shopper", text: "Do you have tents?", status: "received" }),
      msg({ id: "2", role: "assistant", text: "Yes, the Trail Tent.", status: "done", replyTo: "1" }),
    ],
  };
  const loader = fakeLoader({});
  const panel = new Panel(loader, async () => transport);
  loader.panel = panel;
  panel.mount();
  await flush();
  await flush();
  return { loader, panel, transport, root: loader.root };
}

const rating = (root: ShadowRoot) => root.querySelector(".rate") as HTMLElement;
const faces = (root: ShadowRoot) => Array.from(root.querySelectorAll<HTMLButtonElement>(".rate .face"));

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
});
afterEach(() => {
  document.body.innerHTML = "";
});

describe("rating", () => {
  it("is not offered while the shopper is still chatting", async () => {
    const { loader, root } = await answered();
    loader.open();
    await flush();
    expect(rating(root).hidden).toBe(true);
  });

  it("is offered after the panel was closed on an answered question, and one click sends the score", async () => {
    const { loader, root, transport } = await answered();
    loader.open();
    loader.close();
    loader.open();
    await flush();
    expect(rating(root).hidden).toBe(false);
    expect(rating(root).textContent).toContain("How did we do?");
    expect(faces(root).map((b) => b.getAttribute("aria-label"))).toEqual([
      "1 of 5",
      "2 of 5",
      "3 of 5",
      "4 of 5",
      "5 of 5",
    ]);
    faces(root)[4].click();
    await flush();
    expect(transport.ratings).toEqual([{ score: 5 }]);
    expect(rating(root).textContent).toContain("Thanks for rating!");
    // An optional comment goes with the same score.
    const input = root.querySelector(".rate input") as HTMLInputElement;
    input.value = "Very quick";
    (root.querySelector(".rate form") as HTMLFormElement).requestSubmit();
    await flush();
    expect(transport.ratings).toEqual([{ score: 5 }, { score: 5, comment: "Very quick" }]);
    expect(rating(root).textContent).toContain("Thanks for your feedback!");
    // Rated: closing and opening again does not ask again for the same answer.
    loader.close();
    loader.open();
    await flush();
    expect(transport.ratings).toHaveLength(2);
  });

  it("goes away when the shopper writes again", async () => {
    const { loader, root, panel } = await answered();
    loader.open();
    loader.close();
    loader.open();
    await flush();
    expect(rating(root).hidden).toBe(false);
    await panel.send("And sleeping bags?");
    await flush();
    expect(rating(root).hidden).toBe(true);
  });

  it("is not offered while a person from the shop is handling the conversation", async () => {
    const transport = new FakeTransport();
    const { loader, root } = await answered(transport);
    transport.historyResult = { ...transport.historyResult, handoff: true };
    transport.emit({ type: "reply.handoff", messageId: "2", notice: "" });
    loader.open();
    loader.close();
    loader.open();
    await flush();
    expect(rating(root).hidden).toBe(true);
  });

  it("is offered once staff handed the conversation back, on a later page too", async () => {
    const talk = [
      msg({ id: "1", role: "shopper", text: "I want a refund", status: "received" }),
      msg({ id: "2", role: "assistant", text: "A person will help.", status: "done", handoff: true }),
      msg({ id: "3", role: "staff", text: "Refund done!", status: "done" }),
      msg({ id: "4", role: "system", text: "The assistant is back.", status: "done" }),
    ];
    // Page 1: handed off, staff answering. No rating while a person handles it.
    const first = new FakeTransport();
    first.historyResult = { messages: talk, handoff: true };
    const one = fakeLoader({});
    const p1 = new Panel(one, async () => first);
    one.panel = p1;
    p1.mount();
    await flush();
    await flush();
    one.open();
    await flush();
    expect(rating(one.root).hidden).toBe(true);
    document.body.innerHTML = "";
    // Page 2 (the shopper browsed on): staff have handed back. Offered on open, no close needed.
    const second = new FakeTransport();
    second.historyResult = { messages: talk, handoff: false };
    const two = fakeLoader({});
    const p2 = new Panel(two, async () => second);
    two.panel = p2;
    p2.mount();
    await flush();
    await flush();
    two.open();
    await flush();
    expect(rating(two.root).hidden).toBe(false);
    faces(two.root)[3].click();
    await flush();
    expect(second.ratings).toEqual([{ score: 4 }]);
  });

  it("is offered the moment staff hand back live (the 'assistant is back' notice), no reload", async () => {
    const transport = new FakeTransport();
    transport.historyResult = {
      messages: [
        msg({ id: "1", role: "shopper", text: "I want a refund", status: "received" }),
        msg({ id: "2", role: "assistant", text: "A person will help.", status: "done", handoff: true }),
        msg({ id: "3", role: "system", text: "A person will reply here.", status: "done", notice: "handoff" }),
        msg({ id: "4", role: "staff", text: "Refund done!", status: "done" }),
      ],
      handoff: true,
    };
    const loader = fakeLoader({});
    const panel = new Panel(loader, async () => transport);
    loader.panel = panel;
    panel.mount();
    await flush();
    await flush();
    loader.open();
    await flush();
    expect(rating(loader.root).hidden).toBe(true); // a person is handling it
    transport.emit({
      type: "message.new",
      message: msg({ id: "5", role: "system", text: "The assistant is back.", status: "done", notice: "back" }),
    });
    await flush();
    expect(rating(loader.root).hidden).toBe(false);
    expect(loader.root.querySelector(".f")?.textContent).not.toContain("A person");
    faces(loader.root)[4].click();
    await flush();
    expect(transport.ratings).toEqual([{ score: 5 }]);
  });

  it("is offered on the next open when staff closed the conversation while the panel was shut", async () => {
    const transport = new FakeTransport();
    transport.historyResult = {
      messages: [
        msg({ id: "1", role: "shopper", text: "Where is my parcel?", status: "received" }),
        msg({ id: "2", role: "assistant", text: "Let me get a person.", status: "done", handoff: true }),
        msg({ id: "3", role: "staff", text: "It ships today.", status: "done" }),
      ],
      handoff: true,
    };
    const loader = fakeLoader({});
    const panel = new Panel(loader, async () => transport);
    loader.panel = panel;
    panel.mount();
    await flush();
    await flush();
    transport.emit({
      type: "message.new",
      message: msg({ id: "4", role: "system", text: "Closed by staff.", status: "done", notice: "closed" }),
    });
    await flush();
    loader.open();
    await flush();
    expect(rating(loader.root).hidden).toBe(false);
  });

  it("says so when the rating could not be sent, and lets the shopper click again", async () => {
    const { loader, root, transport } = await answered();
    transport.rateImpl = () => Promise.reject(new Error("offline"));
    loader.open();
    loader.close();
    loader.open();
    await flush();
    faces(root)[1].click();
    await flush();
    expect(rating(root).textContent).toContain("Couldn't send your rating");
    expect(faces(root).every((b) => !b.disabled)).toBe(true);
  });
});
