"""The Stream engine's clock for tests (``chatbot.engines.stream.client.clock``)."""

from __future__ import annotations

import time

from chatbot.engines.stream import client as stream_client


class FakeClock(stream_client.Clock):
    """Time moves only when the code sleeps or the test says so, so partial updates,
    retries and stop polls are deterministic; ``slept`` records every sleep."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds
