"""System checks: stable ids, no secret values in their text."""

from __future__ import annotations

import pytest
from django.test import override_settings

from chatbot import checks


def ids(found):
    return sorted(message.id for message in found)


def all_checks():
    return checks.check_stream() + checks.check_shop_adapter() + checks.check_assistants()


def test_defaults_are_clean():
    assert all_checks() == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"STREAM_CHAT_ENABLED": True}, ["chatbot.E001"]),
        ({"STREAM_CHAT_ENABLED": True, "STREAM_CHAT_API_KEY": "k"}, ["chatbot.E002"]),
        ({"STREAM_CHAT_API_KEY": "k", "STREAM_CHAT_API_SECRET": "s"}, ["chatbot.W005"]),
        (
            {
                "STREAM_CHAT_ENABLED": True,
                "STREAM_CHAT_API_KEY": "k",
                "STREAM_CHAT_API_SECRET": "s",
                "STREAM_CHAT_BASE_URL": "chat.stream-io-api.com",
            },
            ["chatbot.E003"],
        ),
        ({"CHATBOT_SHOP_ADAPTER": "nowhere.Adapter"}, ["chatbot.E004"]),
        ({"CHATBOT_SHOP_ADAPTER": "chatbot.conf.get"}, ["chatbot.E004"]),
        ({"CHATBOT_SHOP_ADAPTER": ""}, ["chatbot.E004"]),
        ({"COZE_BOT_ID": "7371"}, ["chatbot.W001"]),
        ({"COZE_API_TOKEN": "pat_x"}, ["chatbot.W001"]),
        ({"COZE_BOT_ID": "7371", "COZE_OAUTH_APP_ID": "app"}, ["chatbot.W001"]),
        ({"CHATBOT_ASSISTANT": "gpt"}, ["chatbot.W002"]),
        ({"CHATBOT_NODE_URL": "https://node.example"}, ["chatbot.W003"]),
        ({"CHATBOT_NODE_URL": "node.example", "CHATBOT_SSO_SECRET": "x"}, ["chatbot.E006"]),
        ({"CHATBOT_ASSISTANT": "coze"}, ["chatbot.W004"]),
        ({"CHATBOT_ASSISTANT": "openai"}, ["chatbot.W004"]),
        ({"COZE_BOT_ID": "1", "COZE_API_TOKEN": "t", "CHATBOT_ASSISTANT": "coze"}, []),
        ({"CHATBOT_ROLE": "proxy"}, ["chatbot.E010"]),
        (
            {
                "CHATBOT_ASSISTANT": "gateway",
                "CHATBOT_NODE_URL": "https://gw.example",
                "CHATBOT_SSO_SECRET": "s",
            },
            ["chatbot.W010"],
        ),
        (
            {
                "CHATBOT_ASSISTANT": "gateway",
                "CHATBOT_NODE_URL": "https://gw.example",
                "CHATBOT_SSO_SECRET": "s",
                "CHATBOT_PUBLIC_URL": "https://shop.example",
                "CHATBOT_WEBHOOK_SECRET": "w",
            },
            [],
        ),
    ],
)
def test_each_problem_has_its_id(overrides, expected):
    with override_settings(**overrides):
        assert ids(all_checks()) == expected


def test_missing_private_key_file(tmp_path):
    with override_settings(
        COZE_BOT_ID="1",
        COZE_OAUTH_APP_ID="a",
        COZE_OAUTH_KEY_ID="k",
        COZE_OAUTH_PRIVATE_KEY_FILE=str(tmp_path / "missing.pem"),
    ):
        assert ids(all_checks()) == ["chatbot.E005"]
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    with override_settings(
        COZE_BOT_ID="1", COZE_OAUTH_APP_ID="a", COZE_OAUTH_KEY_ID="k", COZE_OAUTH_PRIVATE_KEY_FILE=str(key)
    ):
        assert ids(all_checks()) == []


def test_messages_never_quote_secrets():
    secret_values = {
        "STREAM_CHAT_API_SECRET": "sek-stream-123",
        "COZE_API_TOKEN": "pat-coze-456",
        "CHATBOT_SSO_SECRET": "",
    }
    with override_settings(
        STREAM_CHAT_ENABLED=True,
        STREAM_CHAT_API_SECRET="sek-stream-123",
        STREAM_CHAT_BASE_URL="ftp://x",
        COZE_API_TOKEN="pat-coze-456",
        CHATBOT_NODE_URL="https://node",
    ):
        found = all_checks()
    assert {"chatbot.E001", "chatbot.E003", "chatbot.W001", "chatbot.W003"} <= set(ids(found))
    text = " ".join(f"{m.msg} {m.hint}" for m in found)
    for value in secret_values.values():
        if value:
            assert value not in text


def test_checks_are_registered_with_django():
    from django.core import checks as django_checks

    registered = {fn.__name__ for fn in django_checks.registry.registry.get_checks()}
    assert {"check_stream", "check_shop_adapter", "check_assistants"} <= registered
    with override_settings(STREAM_CHAT_ENABLED=True):
        found = django_checks.run_checks(tags=["chatbot"])
    assert "chatbot.E001" in {m.id for m in found}
