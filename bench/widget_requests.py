"""Count the chat requests a page makes before the shopper opens the chat.

    . .venv/bin/activate
    python bench/widget_requests.py http://127.0.0.1:8000/s/demo/ [--runs 3] [--settle-ms 6500] [--json]

Three visitors, each in a fresh browser context, each measured ``--runs`` times (median and
range printed):

1. new: empty storage, first page load. Goal: loader.js only.
2. returning, idle: has a conversation whose answer finished; loads a page again. Goal:
   loader.js only (0 chat requests: no panel.js, token, history or event stream).
3. returning, active: staff answered in the last hour (through the real admin, as the
   demo's admin user); loads a page again. Expected: the panel at idle time, then the
   token, history and one event stream.

"Chat requests" are every request under /static/chatbot/ or /api/chatbot/. The wait after
load (``--settle-ms``) is longer than the loader's idle-time preload (5 s at most).

Exit status 1 when a new or idle returning visitor makes a chat request besides loader.js.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from urllib.parse import urlparse

from playwright.sync_api import BrowserContext, Page, sync_playwright

CHAT_PREFIXES = ("/static/chatbot/", "/api/chatbot/")
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def is_chat(url: str) -> bool:
    return urlparse(url).path.startswith(CHAT_PREFIXES)


def watch(ctx: BrowserContext) -> list[str]:
    seen: list[str] = []
    ctx.on("request", lambda r: seen.append(urlparse(r.url).path) if is_chat(r.url) else None)
    return seen


def chat_once(page: Page, text: str) -> None:
    page.locator("chatbot-widget button.l").click()
    page.wait_for_function(
        "() => { const a = window.__chatbotLoader; return !!(a && a.panel && a.panel.loaded); }"
    )
    page.locator("chatbot-widget textarea").fill(text)
    page.locator("chatbot-widget textarea").press("Enter")
    page.wait_for_selector(
        'chatbot-widget .m[data-role=assistant]:not([data-id="welcome"]) .bub', timeout=20_000
    )
    page.wait_for_function(
        "() => !window.__chatbotLoader.panel.root.querySelector('.dots, .bub.caret')", timeout=20_000
    )


def staff_reply(admin: Page, origin: str, user: str, text: str, login: tuple[str, str]) -> None:
    if "/admin/" not in admin.url:
        admin.goto(origin + "/admin/login/?next=/admin/")
        admin.fill("input[name=username]", login[0])
        admin.fill("input[name=password]", login[1])
        admin.locator("input[type=submit]").click()
        admin.wait_for_url("**/admin/")
    admin.goto(f"{origin}/admin/chatbot/conversation/?q={user}")
    admin.locator("#result_list tbody tr th a").first.click()
    admin.fill("textarea[name=staff_reply]", text)
    admin.locator("input[name=_continue]").click()
    admin.wait_for_selector(".messagelist")


def measure(browser, url: str, kind: str, settle_ms: int, login: tuple[str, str]) -> list[str]:
    ctx = browser.new_context()
    try:
        if kind != "new":
            page = ctx.new_page()
            page.goto(url, wait_until="load")
            chat_once(page, "Do you have a headlamp?")
            if kind == "active":
                user = page.evaluate("() => window.__chatbotLoader.panel.userId")
                origin = "{0.scheme}://{0.netloc}".format(urlparse(url))
                admin_ctx = browser.new_context()
                staff_reply(admin_ctx.new_page(), origin, user, "Hello from the shop's team.", login)
                admin_ctx.close()
            page.close()
        seen = watch(ctx)
        page = ctx.new_page()
        page.goto(url, wait_until="load")
        page.wait_for_timeout(settle_ms)
        return list(seen)
    finally:
        ctx.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle-ms", type=int, default=6500, help="wait after load (ms)")
    parser.add_argument("--admin", default="admin:admin12345", help="user:password of a staff user")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args()
    user, _, password = args.admin.partition(":")

    medians: dict[str, float] = {}
    ranges: dict[str, tuple[int, int]] = {}
    examples: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for kind in ("new", "idle", "active"):
            runs = [
                measure(browser, args.url, kind, args.settle_ms, (user, password)) for _ in range(args.runs)
            ]
            # loader.js is on every page (hashed, cached for a year); the rest is what matters.
            counts = [len([x for x in run if not x.startswith("/static/chatbot/loader")]) for run in runs]
            medians[kind] = statistics.median(counts)
            ranges[kind] = (min(counts), max(counts))
            examples[kind] = runs[-1]
        browser.close()

    ok = ranges["new"][1] == 0 and ranges["idle"][1] == 0
    if args.json:
        out = {
            k: {"median": medians[k], "range": ranges[k], "requests": examples[k]}
            for k in ("new", "idle", "active")
        }
        print(json.dumps({"url": args.url, "runs": args.runs, **out, "goal_met": ok}, indent=2))
    else:
        labels = {"new": "new visitor", "idle": "returning, idle", "active": "returning, active"}
        print(f"chat requests before opening, besides loader.js ({args.runs} runs each):")
        for kind, label in labels.items():
            lo, hi = ranges[kind]
            print(f"  {label:<18} median {medians[kind]:g} (range {lo}-{hi})")
            for path in examples[kind]:
                print(f"      {path}")
    print(f"goal: new and idle visitors make no chat request but loader.js: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
