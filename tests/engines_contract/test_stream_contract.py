"""The Stream engine against the contract, observed through the HTTP calls it made to the
Stream REST double (tests/doubles/stream_double.py, on loopback), with and without
Stream's ephemeral message updates."""

from __future__ import annotations

import pytest
from django.test import override_settings

from chatbot.engines import stream as stream_engine
from chatbot.engines.stream import client as stream_client
from chatbot.vocabulary import FinalReply
from tests.doubles.stream_double import StreamDouble
from tests.support.clock import FakeClock

from .contract import CHUNK_GAP, DELTAS, EngineContract
from .observers import StreamObserver

API_KEY = "contract-key"
API_SECRET = "contract-secret-0123456789abcdefghijklmnopqrstuv"


class TestStreamEngineContract(EngineContract):
    engine_name = "stream"
    ephemeral_supported = True

    @pytest.fixture
    def double(self):
        with StreamDouble(API_KEY, API_SECRET, ephemeral_supported=self.ephemeral_supported) as running:
            yield running

    @pytest.fixture
    def clock(self, monkeypatch):
        fake = FakeClock()
        monkeypatch.setattr(stream_client, "clock", fake)
        return fake

    @pytest.fixture
    def engine_settings(self, double, clock):
        stream_client.reset_client()
        stream_engine.ephemeral_support.available = True
        with override_settings(
            STREAM_CHAT_ENABLED=True,
            STREAM_CHAT_API_KEY=API_KEY,
            STREAM_CHAT_API_SECRET=API_SECRET,
            STREAM_CHAT_BASE_URL=double.base_url,
            CHATBOT_REPLY_MODE="inline",
        ):
            yield
        stream_client.reset_client()
        stream_engine.ephemeral_support.available = True

    @pytest.fixture
    def observer(self, double, engine_settings):
        return StreamObserver(double)

    @pytest.fixture
    def pause(self, clock):
        return clock.advance


class TestStreamEngineWithoutEphemeralUpdatesContract(TestStreamEngineContract):
    """A Stream deployment without ``PATCH /messages/{id}/ephemeral``: partials go out as
    persistent updates."""

    ephemeral_supported = False

    def test_partials_went_out_as_persistent_updates(self, engine, double, observer, pause, reply):
        writer = engine.open_reply(reply.conversation, reply)
        writer.thinking()
        for delta in DELTAS:
            pause(CHUNK_GAP)
            writer.delta(delta)
        writer.finish(FinalReply(text="".join(DELTAS)))

        refused = [c.route for c in double.calls if c.status == 404]
        assert refused == [f"PATCH /messages/{writer.message_id}/ephemeral"]  # learnt once
        puts = [c.body["set"] for c in double.calls if c.route == f"PUT /messages/{writer.message_id}"]
        assert [fields["generating"] for fields in puts][-1] is False
        assert len([fields for fields in puts if fields["generating"]]) >= 2
        assert observer.reply(reply.conversation, reply.pk).final.text == "".join(DELTAS)
