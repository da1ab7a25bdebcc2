"""A new visitor's first message, typed before the chat has finished connecting.

This was a bug: the panel POSTed the first message while the token request was still
out, and with no guest cookie yet the two requests minted two different guests — the
reply went to one conversation, the event stream watched the other, and the question was
gone after a reload. Now the panel waits for its connection before posting (the message
shows at once, pending), and the server derives a new visitor's guest id from the page's
CSRF cookie, so parallel first requests agree on who they are (tests/api covers that).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request, Route, expect

from .helpers import assistant_messages, composer, open_chat, send, shopper_messages, wait_for_answer

pytestmark = pytest.mark.browser


def test_first_message_before_connection_gets_its_answer_and_is_kept(page: Page, shot) -> None:
    held: list[Route] = []
    posted_early: list[Request] = []
    page.route("**/api/chatbot/stream-chat-token", lambda route: held.append(route))
    page.on(
        "request",
        lambda req: posted_early.append(req) if "stream-message" in req.url and held else None,
    )
    page.goto("/s/demo/")
    open_chat(page, wait_connected=False)
    expect(composer(page)).to_be_focused()
    send(page, "Do you have a headlamp?")
    expect(shopper_messages(page)).to_have_count(1)  # shown at once, while connecting
    page.wait_for_timeout(300)
    assert held, "the token request should be on hold"
    assert not posted_early, "the message must wait for the connection"
    # A slow network lets the token answer through now (then no more holding).
    with page.expect_response("**/api/chatbot/stream-message") as posted:
        held[0].continue_()
    page.unroute("**/api/chatbot/stream-chat-token")
    assert posted.value.status == 202
    try:
        wait_for_answer(page)
    finally:
        shot(page, "after-send")
    page.reload()
    open_chat(page)
    expect(shopper_messages(page)).to_have_count(1)
    expect(assistant_messages(page)).to_have_count(1)
