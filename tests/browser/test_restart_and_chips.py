"""A server restarting under the shopper (issue 12) and chips that carry actions (issue 13)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from .helpers import open_chat, send, shopper_messages, wait_for_answer

pytestmark = pytest.mark.browser


def message_posts(pg: Page) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    pg.on(
        "request",
        lambda r: (
            bodies.append(r.post_data_json)
            if r.method == "POST" and r.url.endswith("/api/chatbot/stream-message")
            else None
        ),
    )
    return bodies


def test_a_message_answered_503_shutting_down_is_sent_again_after_retry_after(page: Page) -> None:
    page.goto("/s/demo/")
    open_chat(page)
    bodies = message_posts(page)
    answered_at: list[float] = []

    def restarting_once(route: Route) -> None:
        if not answered_at:
            answered_at.append(time.monotonic())
            route.fulfill(
                status=503,
                headers={"Retry-After": "2", "Content-Type": "application/json"},
                body=json.dumps({"error": {"code": "shutting_down", "message": "The server is restarting."}}),
            )
        else:
            answered_at.append(time.monotonic())
            route.continue_()

    page.route("**/api/chatbot/stream-message", restarting_once)
    send(page, "Do you sell sleeping bags?")
    # While the server restarts, the shopper's words stay on screen, with no error.
    bubble = shopper_messages(page).last
    expect(bubble).to_contain_text("Do you sell sleeping bags?")
    page.wait_for_timeout(800)
    expect(page.locator("chatbot-widget .err")).to_have_count(0)
    wait_for_answer(page)
    assert len(bodies) == 2, bodies
    assert bodies[0] == bodies[1]  # same text, same clientMessageId: stored once
    assert answered_at[1] - answered_at[0] >= 1.9  # waited for Retry-After
    expect(shopper_messages(page)).to_have_count(1)
    expect(page.locator("chatbot-widget .err")).to_have_count(0)


ACTION = {"type": "refine", "in_stock": True}  # docs/contracts.md, "Quick replies"


def test_a_chip_with_an_action_sends_the_action_and_shows_its_label(
    new_context: Callable[..., BrowserContext],
) -> None:
    page = new_context().new_page()

    def with_action_chips(route: Route) -> None:
        # The real history, whose last assistant answer offers chips in the agreed wire format.
        response = route.fetch()
        body = response.json()
        body["messages"] = [
            *body.get("messages", []),
            {
                "id": "900001",
                "role": "assistant",
                "text": "Here are our tents.",
                "status": "done",
                "products": [],
                "quickReplies": [{"label": "In stock only", "action": ACTION}, "Shipping"],
            },
        ]
        route.fulfill(response=response, json=body)

    page.route("**/api/chatbot/history*", with_action_chips)
    page.goto("/s/demo/")
    open_chat(page)
    chips = page.locator("chatbot-widget .chip")
    expect(chips).to_have_text(["In stock only", "Shipping"])
    bodies = message_posts(page)
    page.unroute("**/api/chatbot/history*")
    chips.first.click()
    expect(shopper_messages(page).last.locator(".bub")).to_have_text("In stock only")
    # The server validates the action, stores it with the message and answers.
    wait_for_answer(page, 2)
    assert len(bodies) == 1
    assert bodies[0]["text"] == "In stock only"
    assert bodies[0]["action"] == ACTION
    assert bodies[0]["clientMessageId"]
    expect(page.locator("chatbot-widget .m.me .err")).to_have_count(0)


def test_server_restarting_on_the_stream_reconnects_quietly(page: Page) -> None:
    streams: list[str] = []
    held: list[Route] = []

    def first_stream_restarts(route: Route) -> None:
        streams.append(route.request.url)
        if len(streams) == 1:
            held.append(route)  # answered below, once the bar is being watched
        else:
            route.continue_()

    page.route("**/api/chatbot/events*", first_stream_restarts)
    page.goto("/s/demo/")
    open_chat(page)
    # Record every moment the status bar shows something, however brief.
    page.evaluate(
        """() => {
          const bar = window.__chatbotLoader.root.querySelector('.bar');
          window.__barShown = [];
          new MutationObserver(() => { if (!bar.hidden) window.__barShown.push(bar.textContent); })
            .observe(bar, { attributes: true, childList: true, characterData: true, subtree: true });
        }"""
    )
    assert len(held) == 1
    # What a server shutting down sends just before it closes the stream.
    held[0].fulfill(
        status=200,
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"},
        body="retry: 100\n\nevent: server.restarting\ndata: {}\n\n",
    )
    page.wait_for_function("() => true")  # let the event loop deliver it
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and len(streams) < 2:
        page.wait_for_timeout(100)
    assert len(streams) == 2, streams
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__barShown") == []
    # The reopened stream carries the next answer.
    send(page, "Do you have a headlamp?")
    wait_for_answer(page)
    expect(page.locator("chatbot-widget .bar")).to_be_hidden()
