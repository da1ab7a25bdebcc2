"""A language model's Markdown answer, as a shopper sees it: real lists and links in the
panel, and markup in it that does nothing.

The site here runs the real OpenAI-compatible assistant (``CHATBOT_ASSISTANT=openai``)
against a local fake ``/v1/chat/completions`` that streams one Markdown answer in small
pieces, so the text reaches the widget exactly as a model's would: deltas on the event
stream, then the stored final text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.assistants_contract.upstream import FakeUpstream, Recorded, Reply
from tests.support.live import LiveSite

from .helpers import ARTIFACTS, open_chat, panel, send, wait_for_answer
from .test_accessibility import axe_violations, describe
from .test_xss import DANGER

pytestmark = pytest.mark.browser

ANSWER = (
    "Here are two tents for **two people**:\n"
    "- **Trail Tent 2P** – light, *1.8 kg*\n"
    "- Ridge Dome – `NW-TNT-2P-GRN`\n"
    "\n"
    "To return one:\n"
    "1. Open [your orders](https://shop.example/orders)\n"
    "2. Choose *Return*\n"
    '3. Ship it back <img src=x onerror="window.__xss=1"> within 30 days\n'
    "\n"
    "Not a link: [click me](javascript:window.__xss=2)"
)


def chunk(delta: dict[str, object], finish: str | None = None) -> str:
    payload = {
        "id": "chatcmpl-md",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "fake-md",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(payload)}\n\n"


def completions(request: Recorded) -> Reply:
    # Small pieces so markers arrive split ("**Tra", "il Tent 2P**"), as a model sends them.
    pieces = [ANSWER[i : i + 6] for i in range(0, len(ANSWER), 6)]
    return Reply.sse(
        [
            chunk({"role": "assistant", "content": ""}),
            *(chunk({"content": p}) for p in pieces),
            chunk({}, "stop"),
            "data: [DONE]\n\n",
        ],
        chunk_delay=0.01,
    )


@pytest.fixture(scope="module")
def markdown_site() -> Iterator[str]:
    with FakeUpstream({"/v1/chat/completions": completions}) as model:
        env = {
            "CHATBOT_ASSISTANT": "openai",
            "OPENAI_BASE_URL": model.url + "/v1",
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_MODEL": "fake-md",
            "REDIS_URL": "",
            "DEBUG": "false",
            "CHATBOT_NEW_CONVERSATIONS_PER_HOUR": "10000",
            "CHATBOT_ADDRESS_RATE_LIMIT": "10000",
        }
        with LiveSite(env=env) as live:
            live.env["STATIC_ROOT"] = str(Path(live.tmp.name) / "static")
            live.manage("migrate", "--noinput")
            live.manage("load_demo")
            live.manage("collectstatic", "--noinput")
            yield live.start()


def ask(page: Page) -> None:
    page.goto("/s/demo/")
    open_chat(page)
    send(page, "Which tent for two, and how do I return one?")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_markdown_reply_shows_lists_and_safe_links(
    new_context: Callable[..., BrowserContext], markdown_site: str, scheme: str
) -> None:
    page = new_context(base_url=markdown_site, color_scheme=scheme).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    ask(page)
    reply = wait_for_answer(page)
    bubble = reply.locator(".bub")

    bullets = bubble.locator("ul > li")
    expect(bullets).to_have_count(2)
    expect(bullets.first).to_have_text("Trail Tent 2P – light, 1.8 kg")
    expect(bullets.first.locator("strong")).to_have_text("Trail Tent 2P")
    expect(bullets.first.locator("em")).to_have_text("1.8 kg")
    expect(bullets.nth(1).locator("code")).to_have_text("NW-TNT-2P-GRN")
    steps = bubble.locator("ol > li")
    expect(steps).to_have_count(3)
    expect(steps.nth(1)).to_have_text("Choose Return")

    link = bubble.get_by_role("link", name="your orders")
    expect(link).to_have_attribute("href", "https://shop.example/orders")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    # The javascript: link is its text only; the markup is visible text, inert.
    expect(bubble.get_by_role("link")).to_have_count(1)
    expect(bubble).to_contain_text("Not a link: click me")
    expect(steps.nth(2)).to_contain_text('<img src=x onerror="window.__xss=1">')
    expect(bubble).not_to_contain_text("**")

    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.wait_for_timeout(300)  # give an injected handler (an image error) time to fire
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    panel(page).screenshot(path=str(ARTIFACTS / f"markdown-reply-{scheme}.png"), animations="disabled")
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate(DANGER) == []
    violations = axe_violations(page)
    assert violations == [], describe(violations)

    # After a reload the stored text renders the same from the history.
    page.reload()
    open_chat(page)
    expect(wait_for_answer(page).locator(".bub ol > li")).to_have_count(3)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert errors == []


def test_streaming_shows_no_half_written_markers_and_speaks_once(
    new_context: Callable[..., BrowserContext], markdown_site: str
) -> None:
    page = new_context(base_url=markdown_site).new_page()
    # Every text the reply's bubble showed while it streamed, sampled on each DOM change.
    page.add_init_script(
        """
        window.__seen = [];
        window.__spoken = [];
        const watch = () => {
            const api = window.__chatbotLoader;
            if (!api || !api.root) return setTimeout(watch, 20);
            new MutationObserver((records) => {
                for (const r of records) {
                    const live = r.target.closest && r.target.closest("[aria-live=polite]");
                    if (live && live.closest("section.p")) {
                        for (const n of r.addedNodes) if (n.textContent) window.__spoken.push(n.textContent);
                    }
                }
                const sel = '.m[data-role=assistant]:not([data-id="welcome"]) .bub';
                const bubbles = api.root.querySelectorAll(sel);
                const last = bubbles[bubbles.length - 1];
                if (last) window.__seen.push(last.textContent);
            }).observe(api.root, { childList: true, subtree: true, characterData: true });
        };
        watch();
        """
    )
    ask(page)
    wait_for_answer(page)
    seen: list[str] = page.evaluate("window.__seen")
    assert len(set(seen)) > 5, "the reply did not stream in pieces"
    for text in seen:
        assert "**" not in text, text
        assert "](" not in text, text
    # The screen reader heard the finished answer once, as words, and none of the deltas.
    spoken: list[str] = page.evaluate("window.__spoken")
    assert len(spoken) == 1, spoken
    assert spoken[0].startswith("Assistant: Here are two tents for two people: Trail Tent 2P")
    assert "**" not in spoken[0] and "](" not in spoken[0]
