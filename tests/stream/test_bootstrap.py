"""``manage.py bootstrap_chatbot``: the exact REST calls, dry run, idempotence, and the
app's other webhooks left alone."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from chatbot.models import ShopChatSettings

pytestmark = pytest.mark.django_db

HOOK_URL = "https://shop.example/api/chatbot/webhooks/stream"
OTHER_HOOK = {
    "id": "5d3a-other",
    "enabled": True,
    "hook_type": "sqs",
    "sqs_queue_url": "https://sqs.eu-west-1.amazonaws.com/1/queue",
    "sqs_region": "eu-west-1",
    "sqs_auth_type": "resource",
    "event_types": ["user.updated"],
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:00:00Z",
}


@pytest.fixture
def shops(make_shop):
    make_shop("demo", name="Northwind Outfitters")
    make_shop("demo-zh", name="北风户外", currency="CNY", language="zh-hans")
    make_shop("closed", name="Closed Shop")
    ShopChatSettings.objects.create(shop_id="closed", enabled=False)


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("bootstrap_chatbot", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_creates_assistants_and_adds_our_hook_keeping_the_others(stream_api, shops):
    stream_api.app["event_hooks"] = [dict(OTHER_HOOK)]
    output = run("--webhook-url", HOOK_URL)

    assert stream_api.routes() == ["POST /users", "GET /app", "PATCH /app"]
    users = stream_api.bodies("POST", r"^/users$")[0]["users"]
    assert sorted(users) == ["assistant-demo", "assistant-demo-zh"]
    assert users["assistant-demo-zh"]["name"] == "北风户外 assistant"
    patch = stream_api.bodies("PATCH", r"^/app$")[0]
    other = {k: v for k, v in OTHER_HOOK.items() if k not in ("created_at", "updated_at")}
    assert patch == {
        "event_hooks": [
            other,
            {
                "enabled": True,
                "hook_type": "webhook",
                "webhook_url": HOOK_URL,
                "event_types": ["message.new", "ai_indicator.stop"],
            },
        ]
    }
    assert "Webhook registered" in output
    assert "1 other hook(s) kept" in output


def test_second_run_changes_nothing(stream_api, shops):
    run("--webhook-url", HOOK_URL)
    stream_api.app["event_hooks"][-1]["id"] = "our-hook-id"  # Stream gives hooks ids
    stream_api.rsps.calls.reset()

    output = run("--webhook-url", HOOK_URL)
    assert stream_api.routes() == ["POST /users", "GET /app"]
    assert "Webhook already registered" in output


def test_a_disabled_hook_of_ours_is_re_enabled_in_place(stream_api, shops):
    stream_api.app["event_hooks"] = [
        dict(OTHER_HOOK),
        {"id": "ours", "enabled": False, "hook_type": "webhook", "webhook_url": HOOK_URL, "event_types": []},
    ]
    run("--webhook-url", HOOK_URL)
    hooks = stream_api.bodies("PATCH", r"^/app$")[0]["event_hooks"]
    assert len(hooks) == 2
    assert hooks[1]["id"] == "ours"
    assert hooks[1]["enabled"] is True


def test_default_url_comes_from_chatbot_public_url(stream_api, shops, settings):
    settings.CHATBOT_PUBLIC_URL = "https://shop.example/"
    run()
    assert stream_api.bodies("PATCH", r"^/app$")[0]["event_hooks"][-1]["webhook_url"] == HOOK_URL


def test_no_url_skips_the_webhook_with_a_warning(stream_api, shops, settings):
    settings.CHATBOT_PUBLIC_URL = ""
    output = run()
    assert stream_api.routes() == ["POST /users"]
    assert "webhook registration skipped" in output


def test_legacy_webhook_url_is_set_only_when_empty_or_ours(stream_api, shops):
    stream_api.app = {"webhook_url": ""}
    run("--webhook-url", HOOK_URL)
    assert stream_api.bodies("PATCH", r"^/app$") == [{"webhook_url": HOOK_URL}]

    stream_api.rsps.calls.reset()
    run("--webhook-url", HOOK_URL)
    assert stream_api.routes() == ["POST /users", "GET /app"]

    stream_api.rsps.calls.reset()
    stream_api.app = {"webhook_url": "https://someone-else.example/hook"}
    output = run("--webhook-url", HOOK_URL)
    assert stream_api.routes() == ["POST /users", "GET /app"]
    assert "left unchanged" in output


def test_dry_run_makes_no_call(stream_api, shops):
    output = run("--dry-run", "--webhook-url", HOOK_URL)
    assert stream_api.calls == []
    assert "Would call POST /users" in output
    assert "assistant-demo-zh" in output
    assert "Would call GET /app" in output
    assert "Would call PATCH /app" in output


def test_bad_key_is_reported(stream_api, shops):
    stream_api.fail(
        "POST", r"^/users$", 401, body={"code": 2, "message": "api_key not found", "StatusCode": 401}
    )
    stream_api.fail(
        "GET", r"^/app$", 401, body={"code": 2, "message": "api_key not found", "StatusCode": 401}
    )
    with pytest.raises(CommandError, match="2 problem"):
        run("--webhook-url", HOOK_URL)


def test_stream_disabled_says_so_and_exits_cleanly(shops):
    with override_settings(STREAM_CHAT_ENABLED=False):
        output = run()
    assert "not enabled" in output


def test_secret_is_never_printed(stream_api, shops):
    from .conftest import API_SECRET

    output = run("--dry-run", "--webhook-url", HOOK_URL) + run("--webhook-url", HOOK_URL)
    assert API_SECRET not in output
