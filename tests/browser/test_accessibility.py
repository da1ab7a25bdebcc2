"""A screen-reader and keyboard user's chat: axe-core on the open panel in both shops and
both themes, and finished replies (not streamed fragments) announced through a polite live
region.

axe-core comes from the widget's npm dev dependencies (``widget/node_modules``, installed by
``npm ci`` in ``make widget-check``) and is injected into the page; it reads the widget's
open shadow root itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.support.live import ROOT

from .helpers import open_chat, panel, send, wait_for_answer

pytestmark = pytest.mark.browser

AXE = ROOT / "widget" / "node_modules" / "axe-core" / "axe.min.js"

# The whole widget (launcher and open panel), through its shadow root; WCAG 2.x A and AA
# rules plus axe's best practices.
RUN_AXE = """async () => {
    const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];
    const result = await axe.run(
        { include: [["chatbot-widget"]] },
        { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] },
    );
    return result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
    }));
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe violations in the widget as the page shows it now."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `cd widget && npm ci`")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(RUN_AXE)
    return [v for v in found if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']} {v['id']}: {v['help']}")
        lines += [f"    {n['target']}: {n['summary']}" for n in v["nodes"]]
    return "\n".join(lines)


def live_region(page: Page):
    return page.locator("chatbot-widget section.p [aria-live=polite]")


QUESTIONS = {"demo": "Do you have a tent under $300?", "demo-zh": "有绿茶吗"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("shop", ["demo", "demo-zh"])
def test_open_panel_has_no_serious_axe_violations(
    new_context: Callable[..., BrowserContext], shop: str, scheme: str, shot
) -> None:
    page = new_context(color_scheme=scheme).new_page()
    page.goto(f"/s/{shop}/")
    open_chat(page)
    send(page, QUESTIONS[shop])
    reply = wait_for_answer(page)
    expect(reply.locator(".card").first).to_be_visible()
    expect(reply.locator(".chip").first).to_be_visible()
    shot(page, f"{shop}-{scheme}")
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_finished_reply_reaches_the_live_region_and_streamed_fragments_do_not(page: Page) -> None:
    page.goto("/s/demo/")
    open_chat(page)
    region = live_region(page)
    expect(region).to_have_count(1)
    # The message list itself is not live: streaming is not read out token by token.
    expect(panel(page).locator(".list")).to_have_attribute("aria-live", "off")
    # Record every text the live region is given while the reply streams.
    page.evaluate(
        """() => {
            const region = window.__chatbotLoader.root.querySelector("section.p [aria-live=polite]");
            window.__announced = [];
            new MutationObserver(() => {
                if (region.textContent) window.__announced.push(region.textContent);
            }).observe(region, { childList: true, characterData: true, subtree: true });
        }"""
    )
    send(page, "Do you sell headlamps?")
    reply = wait_for_answer(page)
    text = reply.locator(".bub").inner_text()
    expect(region).not_to_have_text("")
    announced: list[str] = page.evaluate("window.__announced")
    assert len(announced) == 1, announced
    # The rendered words (no Markdown markers), introduced as the assistant's.
    spoken = announced[0]
    assert "**" not in spoken
    assert " ".join(text.split())[:40] in " ".join(spoken.split())
    assert spoken.startswith("Assistant")


def test_keyboard_user_reaches_chips_and_leaves_with_escape_or_close(page: Page) -> None:
    page.goto("/s/demo-zh/")
    open_chat(page)
    dialog = page.get_by_role("dialog")
    # Every control has a name a screen reader can say, in the shop's language.
    expect(dialog.get_by_role("textbox", name="您的消息")).to_be_focused()
    expect(dialog.get_by_role("button", name="发送")).to_be_visible()
    expect(dialog.get_by_role("button", name="关闭聊天")).to_be_visible()
    send(page, QUESTIONS["demo-zh"])
    wait_for_answer(page)
    # Shift+Tab from the composer walks back into the answer's quick replies.
    chip = panel(page).locator(".chip").last
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        if chip.evaluate("c => c.getRootNode().activeElement === c"):
            break
    else:
        pytest.fail("Shift+Tab never reached the last quick reply")
    page.keyboard.press("Escape")
    expect(panel(page)).to_be_hidden()
    expect(page.locator("chatbot-widget button.l")).to_be_focused()
    # Enter reopens with focus in the composer; the close button also returns focus.
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("textbox", name="您的消息")).to_be_focused()
    dialog.get_by_role("button", name="关闭聊天").focus()
    page.keyboard.press("Enter")
    expect(panel(page)).to_be_hidden()
    expect(page.locator("chatbot-widget button.l")).to_be_focused()
