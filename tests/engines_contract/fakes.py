"""What the engine contract drives the engines with: a scripted assistant for the real
pipeline, a product card, and a clock for the Stream engine's time seam."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from chatbot.assistants.base import AssistantContext, ShopAssistant
from chatbot.vocabulary import AssistantEvent, ProductCard

TENT = ProductCard(
    sku="TENT-2P",
    name="Trailhead Tent 2P",
    price="149.00",
    currency="USD",
    stock=3,
    in_stock=True,
    url="/s/demo/p/TENT-2P/",
    image_url="/media/tent.jpg",
)
SCRIPTED_ASSISTANT = "tests.engines_contract.fakes.ScriptedAssistant"


class ScriptedAssistant(ShopAssistant):
    """Plays ``script`` in order: vocabulary events are yielded, callables are run with
    the context (time passing, the shopper pressing stop), exceptions are raised.
    Configured by dotted path (``CHATBOT_ASSISTANT``), the way a host names its own."""

    name = "scripted"
    script: list[AssistantEvent | Callable[[AssistantContext], Any] | Exception] = []

    def reply(self, context: AssistantContext) -> Iterator[AssistantEvent]:
        for step in type(self).script:
            if isinstance(step, Exception):
                raise step
            if callable(step):
                step(context)
                continue
            yield step
