"""``python manage.py bootstrap_chatbot [--dry-run] [--webhook-url URL]``

Gets the Stream app ready for this site, idempotently:
1. upserts the assistant user of every enabled shop;
2. registers our webhook (``$CHATBOT_PUBLIC_URL/api/chatbot/webhooks/stream`` or
   ``--webhook-url``) without touching the app's other hooks.
``--dry-run`` prints the calls it would make and makes none.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import conf
from ...adapters import get_adapter
from ...engines.stream import client as stream
from ...shop_settings import settings_for_shop

WEBHOOK_PATH = "/api/chatbot/webhooks/stream"
# What our webhook acts on (chatbot.engines.stream.webhook.HANDLED_EVENTS); everything else would be
# traffic we throw away.
WEBHOOK_EVENTS = ["message.new", "ai_indicator.stop"]
# Fields Stream adds to a hook it returns and does not take back.
_HOOK_READ_ONLY = ("created_at", "updated_at")


def default_webhook_url() -> str:
    public = conf.get("CHATBOT_PUBLIC_URL")
    return f"{str(public).rstrip('/')}{WEBHOOK_PATH}" if public else ""


def plan_event_hooks(hooks: list[dict[str, Any]], url: str) -> list[dict[str, Any]] | None:
    """The app's hook list with ours added or brought up to date, or None when it is
    already right. Other hooks are kept as they are: PATCH /app replaces the whole list."""
    ours = next(
        (h for h in hooks if h.get("hook_type", "webhook") == "webhook" and h.get("webhook_url") == url), None
    )
    wanted = {
        "enabled": True,
        "hook_type": "webhook",
        "webhook_url": url,
        "event_types": list(WEBHOOK_EVENTS),
    }
    if (
        ours is not None
        and ours.get("enabled")
        and sorted(ours.get("event_types") or []) in ([], sorted(WEBHOOK_EVENTS))
    ):
        return None  # present, enabled, and receiving (at least) our events
    new_hooks = []
    for hook in hooks:
        if hook is ours:
            continue
        new_hooks.append({k: v for k, v in hook.items() if k not in _HOOK_READ_ONLY})
    if ours is not None and ours.get("id"):
        wanted["id"] = ours["id"]
    new_hooks.append(wanted)
    return new_hooks


class Command(BaseCommand):
    help = "Create the Stream assistant users of the enabled shops and register the Stream webhook."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Print the Stream calls; make none.")
        parser.add_argument(
            "--webhook-url",
            default="",
            help=f"Public URL of the webhook (default: $CHATBOT_PUBLIC_URL + {WEBHOOK_PATH}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not conf.stream_enabled():
            self.stdout.write(
                "Stream Chat is not enabled (STREAM_CHAT_ENABLED, STREAM_CHAT_API_KEY, "
                "STREAM_CHAT_API_SECRET): the local engine is in use, nothing to do."
            )
            return
        self.dry_run = bool(options["dry_run"])
        self.problems: list[str] = []
        prefix = "[dry run] " if self.dry_run else ""
        self.stdout.write(f"{prefix}Stream app {conf.get('STREAM_CHAT_API_KEY')} at {stream.base_url()}")

        self.bootstrap_users()
        url = options["webhook_url"] or default_webhook_url()
        self.register_webhook(url)

        if self.problems:
            for problem in self.problems:
                self.stderr.write(f"Problem: {problem}")
            raise CommandError(f"bootstrap_chatbot finished with {len(self.problems)} problem(s).")
        self.stdout.write(self.style.SUCCESS(f"{prefix}Stream Chat bootstrap complete."))

    # ---------------------------------------------------------------- users

    def enabled_shops(self) -> list[str]:
        try:
            shop_ids = list(get_adapter().list_shop_ids())
        except Exception as exc:
            self.problems.append(f"could not list the shops through CHATBOT_SHOP_ADAPTER: {exc}")
            return []
        return [shop_id for shop_id in shop_ids if settings_for_shop(shop_id).enabled]

    def bootstrap_users(self) -> None:
        shop_ids = self.enabled_shops()
        if not shop_ids:
            self.stdout.write("No enabled shops: no assistant users to create.")
            return
        users = [stream.assistant_user(shop_id) for shop_id in shop_ids]
        if self.dry_run:
            body = {"users": {user["id"]: user for user in users}}
            self.stdout.write(f"Would call POST /users {json.dumps(body, ensure_ascii=False)}")
            return
        try:
            stream.upsert_users(users)
        except stream.StreamError as exc:
            self.problems.append(str(exc))
            return
        for user in users:
            self.stdout.write(f"Assistant user ready: {user['id']} ({user['name']})")

    # ---------------------------------------------------------------- webhook

    def register_webhook(self, url: str) -> None:
        if not url:
            self.stdout.write(
                self.style.WARNING(
                    "No webhook URL (set CHATBOT_PUBLIC_URL or pass --webhook-url): "
                    "webhook registration skipped. Messages typed straight into Stream "
                    "and its stop events will not reach the assistant."
                )
            )
            return
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            self.problems.append(f"the webhook URL {url!r} is not an http(s) URL")
            return
        if parsed.scheme != "https":
            self.stdout.write(
                self.style.WARNING(f"The webhook URL {url} is not https; Stream may refuse it.")
            )
        if self.dry_run:
            self.stdout.write("Would call GET /app (to read the app's current webhooks)")
            self.stdout.write(
                f"Would call PATCH /app to add or update the webhook {url} for {', '.join(WEBHOOK_EVENTS)} "
                "(only if missing or different; every other hook kept)"
            )
            return
        try:
            app = stream.get_app_settings()
        except stream.StreamError as exc:
            self.problems.append(str(exc))
            return

        hooks = app.get("event_hooks")
        legacy_url = str(app.get("webhook_url") or "")
        if isinstance(hooks, list) and (hooks or not legacy_url):
            self._register_event_hook(hooks, url)
        else:
            self._register_legacy(legacy_url, url)

    def _register_event_hook(self, hooks: list[dict[str, Any]], url: str) -> None:
        new_hooks = plan_event_hooks(hooks, url)
        if new_hooks is None:
            self.stdout.write(f"Webhook already registered: {url}")
            return
        try:
            stream.update_app_settings(event_hooks=new_hooks)
        except stream.StreamError as exc:
            self.problems.append(str(exc))
            return
        kept = len(new_hooks) - 1
        self.stdout.write(
            f"Webhook registered: {url} ({', '.join(WEBHOOK_EVENTS)}); {kept} other hook(s) kept"
        )

    def _register_legacy(self, current: str, url: str) -> None:
        if current == url:
            self.stdout.write(f"Webhook already registered: {url}")
            return
        if current:
            self.stdout.write(
                self.style.WARNING(
                    f"The Stream app already sends its webhook to {current}; left unchanged. "
                    f"Move it to event hooks in the Stream dashboard and add {url}, or rerun once it is free."
                )
            )
            return
        try:
            stream.update_app_settings(webhook_url=url)
        except stream.StreamError as exc:
            self.problems.append(str(exc))
            return
        self.stdout.write(f"Webhook registered: {url}")
