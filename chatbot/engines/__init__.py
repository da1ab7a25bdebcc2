"""Chat engines: ``local`` (default) and ``stream``; ``get_engine()`` picks by settings."""

from __future__ import annotations

from functools import lru_cache

from django.utils.module_loading import import_string

from .. import conf
from .base import ChatEngine

ENGINE_CLASSES = {
    "local": "chatbot.engines.local.LocalEngine",
    "stream": "chatbot.engines.stream.StreamEngine",
}


@lru_cache(maxsize=2)
def _engine(name: str) -> ChatEngine:
    return import_string(ENGINE_CLASSES[name])()


def engine_name() -> str:
    return "stream" if conf.stream_enabled() else "local"


def get_engine() -> ChatEngine:
    return _engine(engine_name())
