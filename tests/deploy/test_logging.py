"""Request ids on responses and log lines; one JSON object per log line."""

import json
import logging
import re

from asgiref.sync import async_to_sync

from config.logging import JsonFormatter, RequestIdFilter
from config.request_id import _request_id, get_request_id


def test_a_request_id_is_generated_and_echoed(client):
    response = client.get("/health")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_an_incoming_request_id_is_kept(client):
    response = client.get("/health", HTTP_X_REQUEST_ID="abc-123.x")
    assert response["X-Request-ID"] == "abc-123.x"


def test_fly_request_id_is_used_when_no_x_request_id(client):
    response = client.get("/health", HTTP_FLY_REQUEST_ID="01HZX3-nrt")
    assert response["X-Request-ID"] == "01HZX3-nrt"


def test_an_unsafe_incoming_id_is_replaced(client):
    response = client.get("/health", HTTP_X_REQUEST_ID="x\nforged log line")
    assert "forged" not in response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_the_id_is_echoed_on_the_async_path(async_client):
    response = async_to_sync(async_client.get)("/health", headers={"X-Request-ID": "async-1"})
    assert response["X-Request-ID"] == "async-1"


def test_no_id_leaks_out_of_a_sync_request(client):
    client.get("/health", HTTP_X_REQUEST_ID="done-1")
    assert get_request_id() is None


def make_record(msg="hello %s", args=("world",), **extra):
    record = logging.LogRecord("chatbot.pipeline", logging.INFO, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_json_line_has_the_fields_and_the_extras():
    token = _request_id.set("req-42")
    try:
        record = make_record(shop="demo", latency_ms=12.5)
        RequestIdFilter().filter(record)
        line = JsonFormatter().format(record)
    finally:
        _request_id.reset(token)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "hello world"
    assert data["level"] == "INFO"
    assert data["logger"] == "chatbot.pipeline"
    assert data["request_id"] == "req-42"
    assert data["shop"] == "demo"
    assert data["latency_ms"] == 12.5
    assert data["time"].endswith("+00:00")
    # Standard LogRecord attributes are not repeated as fields.
    assert "args" not in data
    assert "pathname" not in data


def test_json_line_outside_a_request_has_a_null_id():
    record = make_record()
    RequestIdFilter().filter(record)
    assert json.loads(JsonFormatter().format(record))["request_id"] is None


def test_json_line_keeps_exceptions_and_unencodable_extras_on_one_line():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    record.obj = object()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert "ValueError: boom" in data["exc_info"]
    assert data["obj"].startswith("<object object")


def test_plain_format_strings_can_use_the_request_id():
    record = make_record()
    RequestIdFilter().filter(record)
    assert logging.Formatter("%(request_id)s %(message)s").format(record) == "- hello world"
