"""Start-up: when the bootstrap runs, and the seed's four log lines in order."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings

from chatbot import apps
from chatbot.engines.stream import client as stream_service


@pytest.mark.parametrize(
    ("argv", "environ", "flag", "expected"),
    [
        (["/venv/bin/gunicorn", "config.wsgi"], {}, "", True),
        (["/venv/bin/uvicorn", "config.asgi:application"], {}, "", True),
        (["manage.py", "runserver"], {"RUN_MAIN": "true"}, "", True),
        (["manage.py", "runserver"], {}, "", False),  # the autoreloader's parent
        (["manage.py", "runserver", "--noreload"], {}, "", True),
        (["manage.py", "migrate"], {}, "", False),
        (["manage.py", "makemigrations"], {}, "", False),
        (["manage.py", "bootstrap_chatbot"], {}, "", False),
        (["/venv/bin/pytest"], {}, "", False),
        (["/venv/lib/python3.11/site-packages/uvicorn/__main__.py", "config.asgi:application"], {}, "", True),
        (["/venv/lib/python3.11/site-packages/pytest/__main__.py"], {}, "", False),
        (["manage.py", "migrate"], {}, "1", True),
        (["/venv/bin/gunicorn"], {}, "false", False),
    ],
)
def test_server_detection(argv, environ, flag, expected):
    assert apps.is_server_process(argv, environ, flag) is expected


def test_the_setting_is_read_through_chatbot_conf(settings):
    settings.CHATBOT_BOOTSTRAP_ON_START = "0"
    assert apps.is_server_process(["/venv/bin/gunicorn"], {}) is False
    settings.CHATBOT_BOOTSTRAP_ON_START = "1"
    assert apps.is_server_process(["manage.py", "migrate"], {}) is True


@pytest.mark.django_db
def test_stream_start_up_lines_in_the_seed_order(stream_settings, caplog, monkeypatch):
    ensured = []
    monkeypatch.setattr(
        stream_service, "ensure_assistant_user", lambda shop_id: ensured.append(shop_id) or "assistant-demo"
    )
    with caplog.at_level(logging.INFO, logger="chatbot"):
        worker = apps.log_startup()
        assert worker is not None
        worker.join(5)
    lines = [r.getMessage() for r in caplog.records if r.name == "chatbot"]
    assert lines[:4] == [
        "Chatbot extension with Stream Chat loaded",
        "Initializing Stream Chat service...",
        "Stream Chat service initialized successfully",
        "Chatbot enabled for shop: demo",
    ]
    assert ensured == ["demo"]
    assert "Stream Chat assistant user ready: assistant-demo" in lines


@pytest.mark.django_db
def test_a_failing_bootstrap_logs_a_clear_error_and_does_not_raise(stream_settings, caplog, monkeypatch):
    def boom(shop_id):
        raise stream_service.StreamError(
            "Stream user upsert failed: api_key not found (check STREAM_CHAT_API_KEY)"
        )

    monkeypatch.setattr(stream_service, "ensure_assistant_user", boom)
    with caplog.at_level(logging.INFO, logger="chatbot"):
        apps.log_startup().join(5)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "Stream Chat bootstrap failed" in errors[0]
    assert "STREAM_CHAT_API_KEY" in errors[0]
    from .conftest import API_SECRET

    assert all(API_SECRET not in r.getMessage() for r in caplog.records)


def test_local_engine_start_up_lines(caplog):
    with caplog.at_level(logging.INFO, logger="chatbot"):
        assert apps.log_startup() is None
    lines = [r.getMessage() for r in caplog.records if r.name == "chatbot"]
    assert lines == [
        "Chatbot extension loaded with the local chat engine (Stream Chat not enabled)",
        "Chatbot enabled for shop: demo",
    ]


@override_settings(CHATBOT_ENABLED=False)
def test_chat_switched_off_says_so(caplog):
    with caplog.at_level(logging.INFO, logger="chatbot"):
        apps.log_startup()
    assert "Chatbot enabled for shop: demo" not in caplog.text
    assert "CHATBOT_ENABLED=false" in caplog.text


def test_ready_does_not_touch_the_network_in_tests(stream_settings, monkeypatch):
    from django.apps import apps as django_apps

    monkeypatch.setattr(apps, "log_startup", lambda: pytest.fail("bootstrap ran under pytest"))
    django_apps.get_app_config("chatbot").ready()
