"""A local stand-in for an OpenAI-compatible ``POST /v1/embeddings`` endpoint (OpenAI,
Ollama, vLLM), with a deterministic toy model instead of a neural one.

The toy model gives one dimension to each group of words that mean the same thing to a
shopper ("feet", "socks", "slippers"; "warm", "wool", "cosy"…) and hashes every other
word into a few extra dimensions, so texts about the same thing are close even when they
share no word ("something to keep my feet warm at night" and "Wool Sleeping Socks"),
while unrelated texts are not. Vectors are returned unnormalised (the client must scale
them).

    with EmbeddingsDouble() as double:
        ... CHATBOT_EMBEDDINGS_URL=double.base_url (ends in /v1) ...
        assert double.texts() == [...]

Failures can be switched on: ``double.mode = "down" | "slow" | "bad_json" | "error"``.
Every request is recorded in ``double.calls`` (path, headers, decoded body).

Standalone (to try the demo with ``CHATBOT_EMBEDDINGS_URL=http://127.0.0.1:8766/v1``):
``python -m tests.doubles.embeddings_double --port 8766``.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.http_server import ThreadedServer

GROUPS: tuple[frozenset[str], ...] = tuple(
    frozenset(words.split())
    for words in (
        "feet foot sock socks slipper slippers toe toes",
        "warm warmth cosy cozy wool merino thermal fleece heat heated insulated",
        "night nights sleep sleeping sleepwear bed bedtime",
        "rain rainy waterproof wet storm shower drizzle",
        "jacket jackets coat shell parka",
        "tent tents shelter camping camp",
        "coffee tea mug cup drink drinks bottle",
        "lamp light torch lantern dark headlamp lumen",
        "sun sunny beach uv shade sunshine",
        "shoe shoes boot boots sneaker sneakers runner runners running",
    )
)
HASHED = 16  # dimensions for every other word
STOPWORDS = frozenset("a an and at for i in is it my of on the to with me something some".split())


def toy_embedding(text: str, hashed: int = HASHED) -> list[float]:
    vector = [0.0] * (len(GROUPS) + hashed)
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in STOPWORDS:
            continue
        for dim, group in enumerate(GROUPS):
            if word in group:
                vector[dim] += 1.0
                break
        else:
            vector[len(GROUPS) + zlib.crc32(word.encode()) % hashed] += 0.5
    return vector


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: Any


class EmbeddingsDouble:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, dimensions: int | None = None) -> None:
        """``dimensions``: the vectors' length (a real model's, e.g. 768, for timing);
        the default is the smallest the toy model needs."""
        hashed = max(HASHED, (dimensions or 0) - len(GROUPS))
        self.calls: list[Call] = []
        self.mode = "ok"
        self.slow_seconds = 3.0
        self._lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                with double._lock:
                    double.calls.append(
                        Call(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    mode = double.mode
                if mode == "slow":
                    time.sleep(double.slow_seconds)
                if self.path != "/v1/embeddings":
                    return self._send(404, {"error": {"message": "not found"}})
                if mode == "error":
                    return self._send(500, {"error": {"message": "model not loaded"}})
                if mode == "bad_json":
                    return self._send(200, b"<html>proxy error</html>")
                texts = body.get("input") if isinstance(body, dict) else None
                if isinstance(texts, str):
                    texts = [texts]
                if not isinstance(texts, list) or not body.get("model"):
                    return self._send(400, {"error": {"message": "model and input are required"}})
                data = [
                    {"object": "embedding", "index": i, "embedding": toy_embedding(str(t), hashed)}
                    for i, t in enumerate(texts)
                ]
                # Out of order on purpose: clients must place vectors by "index".
                self._send(200, {"object": "list", "data": data[::-1], "model": body["model"]})

            def _send(self, status: int, payload: Any) -> None:
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting (mode "slow")

        self._server = ThreadedServer(
            Handler, host=host, port=port, quiet_errors=True, name="embeddings-double"
        )

    @property
    def base_url(self) -> str:
        return self._server.url + "/v1"

    def texts(self) -> list[str]:
        """Every text sent, in order."""
        with self._lock:
            return [
                t for call in self.calls if isinstance(call.body, dict) for t in call.body.get("input", [])
            ]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    def close(self) -> None:
        self._server.close()

    def __enter__(self) -> EmbeddingsDouble:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--dimensions", type=int, default=768)
    args = parser.parse_args()
    double = EmbeddingsDouble(args.host, args.port, dimensions=args.dimensions)
    print(f"Embeddings double at {double.base_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        double.close()


if __name__ == "__main__":
    main()
