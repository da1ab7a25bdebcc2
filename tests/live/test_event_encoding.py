"""An event's wire form (chatbot.engines.local.hub.Event.sse_bytes): compact UTF-8 JSON as
the widget parses it, whatever the event carries."""

from __future__ import annotations

import json
from decimal import Decimal

from django.utils.translation import gettext_lazy

from chatbot.engines.local.hub import Event, json_bytes


def parse(sse: bytes) -> tuple[str, str, object]:
    lines = sse.decode().split("\n")
    assert sse.endswith(b"\n\n")
    fields = dict(line.split(": ", 1) for line in lines if line)
    return fields["id"], fields["event"], json.loads(fields["data"])


def test_an_event_goes_out_as_one_sse_message_with_compact_utf8_json():
    event = Event("1700000000000-3", "reply.delta", {"messageId": 7, "text": "绿茶 — “Longjing”"})
    sse = event.sse_bytes
    assert parse(sse) == ("1700000000000-3", "reply.delta", {"messageId": 7, "text": "绿茶 — “Longjing”"})
    assert "绿茶".encode() in sse and b"\\u" not in sse  # as written, not escaped
    assert b'{"messageId":7,' in sse  # no spaces
    assert event.sse_bytes is sse  # encoded once for all its streams


def test_what_the_fast_encoder_refuses_still_goes_out():
    assert json.loads(json_bytes({1: "int key"})) == {"1": "int key"}
    assert json.loads(json_bytes({"big": 2**70})) == {"big": 2**70}
    assert json.loads(json_bytes({"label": gettext_lazy("Send"), "price": Decimal("1.50")})) == {
        "label": "Send",
        "price": "1.50",
    }


def test_events_compare_by_what_they_say_not_by_their_cache():
    one, two = Event("1-0", "x", {"a": 1}), Event("1-0", "x", {"a": 1}, (1, 0))
    assert one.sse_bytes  # cached on the first event only
    assert one == two and one != Event("1-1", "x", {"a": 1})
    assert two.order_key == (1, 0) and one.order_key == (1, 0)
