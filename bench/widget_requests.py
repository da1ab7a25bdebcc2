"""Count the chat requests a page makes before and after the shopper opens the chat.

    . .venv/bin/activate
    python bench/widget_requests.py http://127.0.0.1:8000/s/demo/ [--settle-ms 1500] [--json]

A new visitor (fresh browser context, empty storage) should fetch only loader.js before the
click: no panel, no token, no history, no event stream. After the click the panel, the token
route, history and the event stream follow. The script then reloads the page as the same,
now returning, visitor (who has a conversation) and counts again: the panel is fetched at
idle time so the unread badge can be right.

Exit status 1 when a new visitor's page makes more than one chat request before the click.
"""

from __future__ import annotations

import argparse
import json
import sys
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

CHAT_PREFIXES = ("/static/chatbot/", "/api/chatbot/")
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def is_chat(url: str) -> bool:
    return urlparse(url).path.startswith(CHAT_PREFIXES)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--settle-ms", type=int, default=1500, help="wait after load / click (ms)")
    parser.add_argument("--message", default="", help="send this after opening")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args()

    report: dict[str, object] = {"url": args.url}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context()
        page = context.new_page()
        seen: list[str] = []
        page.on("request", lambda r: seen.append(urlparse(r.url).path) if is_chat(r.url) else None)

        page.goto(args.url, wait_until="load")
        page.wait_for_timeout(args.settle_ms)
        before = list(seen)
        report["new_visitor_before_open"] = {"count": len(before), "requests": before}

        page.locator("chatbot-widget").locator("button").first.click()
        page.wait_for_timeout(args.settle_ms)
        opened = seen[len(before) :]
        report["after_open"] = {"count": len(opened), "requests": opened}

        if args.message:
            page.keyboard.type(args.message)
            page.keyboard.press("Enter")
            page.wait_for_timeout(args.settle_ms)
        seen.clear()
        page.reload(wait_until="load")
        page.wait_for_timeout(args.settle_ms)
        report["returning_visitor_before_open"] = {"count": len(seen), "requests": list(seen)}
        browser.close()

    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key in ("new_visitor_before_open", "after_open", "returning_visitor_before_open"):
            entry = report[key]
            assert isinstance(entry, dict)
            print(f"{key}: {entry['count']} chat request(s)")
            for path in entry["requests"]:
                print(f"    {path}")
    new_count = report["new_visitor_before_open"]["count"]  # type: ignore[index]
    goal_ok = new_count <= 1
    print(f"goal: a new visitor makes at most 1 chat request before opening: {'ok' if goal_ok else 'FAILED'}")
    return 0 if goal_ok else 1


if __name__ == "__main__":
    sys.exit(main())
