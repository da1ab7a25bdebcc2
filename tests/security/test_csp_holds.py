"""Rule: the Content-Security-Policy holds with the widget working.

The production policy (``script-src 'self'``, ``connect-src 'self'``, no framing…) is on
for this site. A shopper opens the chat, asks, gets a streamed reply with product cards and
chips, reloads and sees the history: Chromium reports no ``securitypolicyviolation`` event
and no CSP message in the console — the widget needs nothing the policy forbids."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import open_chat, panel, send, wait_for_answer

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e =>
    window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI), true);
"""


def test_the_widget_works_under_the_policy_without_a_violation(page: Page, shot) -> None:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto("/s/demo/")
    assert response is not None
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy

    open_chat(page)
    send(page, "Do you have tents?")
    reply = wait_for_answer(page)
    expect(reply.locator(".card").first).to_be_visible()
    send(page, "thanks")
    wait_for_answer(page, count=2)
    shot(page, "chat-under-csp")
    page.reload()
    open_chat(page)
    expect(panel(page).locator(".m[data-role=shopper]")).to_have_count(2)

    assert page.evaluate("window.__cspViolations") == []
    assert [line for line in console if "Content Security Policy" in line or "CSP" in line] == []
