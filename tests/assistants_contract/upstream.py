"""A local HTTP server standing in for a vendor, able to stream.

``responses`` cannot show that an assistant yields a delta *while* the upstream is still
sending; a real socket can. Routes map a path to a function of the recorded request that
returns a :class:`Reply`; a streamed reply is sent with chunked encoding, one chunk per
item, as Coze and OpenAI-compatible servers do.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.http_server import ThreadedServer


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    client_port: int = 0  # which connection it came on: the same port means a reused one

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: Iterable[bytes] | None = None  # streamed when set
    chunk_delay: float = 0.0
    # Close the socket after the chunks without the final empty chunk: a dropped stream.
    drop: bool = False
    # Reset the connection (RST) after the chunks: a stream cut by the network.
    reset: bool = False

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return cls(
            status=status,
            headers={"Content-Type": "application/json", **(headers or {})},
            body=json.dumps(payload, ensure_ascii=False).encode(),
        )

    @classmethod
    def sse(
        cls, chunks: Iterable[bytes | str], *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Reply:
        encoded = (c.encode() if isinstance(c, str) else c for c in chunks)
        return cls(
            headers={"Content-Type": "text/event-stream; charset=utf-8", **(headers or {})},
            chunks=encoded,
            **kwargs,
        )


Handler = Callable[[Recorded], Reply]


class FakeUpstream:
    def __init__(self, routes: dict[str, Handler] | None = None) -> None:
        self.routes: dict[str, Handler] = dict(routes or {})
        self.requests: list[Recorded] = []
        # Paths whose streamed answer the client hung up on mid-way (a write failed).
        self.hangups: list[str] = []
        self._server: ThreadedServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return self._server.url

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def start(self) -> FakeUpstream:
        upstream = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; without this, Nagle plus delayed
            # ACKs add ~40 ms to every answer.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                recorded = Recorded(
                    method=self.command,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                    client_port=self.client_address[1],
                )
                upstream.requests.append(recorded)
                handler = upstream.routes.get(parts.path)
                reply = handler(recorded) if handler else Reply.json({"code": 4200, "msg": "not found"}, 404)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.chunks is None:
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for chunk in reply.chunks:
                        if reply.chunk_delay:
                            time.sleep(reply.chunk_delay)
                        if not chunk:
                            continue
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                        self.wfile.flush()
                    if reply.reset:
                        # Linger 0: close sends RST instead of FIN.
                        self.connection.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                        self.connection.close()
                        self.close_connection = True
                        return
                    if reply.drop:
                        self.close_connection = True
                        return
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    upstream.hangups.append(parts.path)
                    self.close_connection = True

        # Clients that hang up mid-answer (timeouts, stop) are part of the tests.
        self._server = ThreadedServer(_Handler, quiet_errors=True)
        # socketserver listens with a backlog of 5: a hundred replies connecting at once
        # would have their SYNs dropped and retried a second later.
        self._server.server.socket.listen(256)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
