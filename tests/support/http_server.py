"""A threaded HTTP server for test doubles: started on construction, serving in a daemon
thread until :meth:`ThreadedServer.close`.

    with ThreadedServer(Handler) as server:
        requests.get(server.url + "/health")
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class ThreadedServer:
    """``handler`` served on ``host:port`` (loopback and a free port unless told).
    ``quiet_errors`` drops the traceback the server prints when a handler fails, e.g.
    a client that hangs up mid-answer."""

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        quiet_errors: bool = False,
        name: str | None = None,
    ) -> None:
        self.host = host
        server_class = _QuietServer if quiet_errors else ThreadingHTTPServer
        self.server = server_class((host, port), handler)
        self.port: int = self.server.server_address[1]
        # A short poll interval keeps shutdown (every test's teardown) fast.
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.02,), name=name, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()

    def __enter__(self) -> ThreadedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
