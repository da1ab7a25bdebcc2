"""A small HTTP/1.1 client for the load benches: keep-alive connections on asyncio streams,
responses parsed by httptools (the C parser uvicorn itself uses), cookies kept per visitor.

Why not httpx: bench/load.py runs its client on the same two cores as the server, the
database and Redis, and at 135 requests a second httpx took 0.29 of a core — CPU the
server's figure then did not have. Shoppers' browsers are on other machines. This client
does only what the benches need: GET and POST with a JSON body, a whole response or the
first line of an event stream, cookies by name.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httptools


class HttpError(Exception):
    """The connection failed or closed before a whole response."""


@dataclass
class Response:
    status_code: int
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)


class _StaleConnection(Exception):
    pass


class _Reader:
    """httptools callbacks: one response at a time."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.complete = False
        self.headers_done = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.close()


class RawClient:
    """One visitor: its cookies and its idle keep-alive connections to ``base``."""

    def __init__(self, base: str, timeout: float = 30) -> None:
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._idle: list[_Connection] = []

    async def _connection(self, reuse: bool = True) -> tuple[_Connection, bool]:
        """A connection and whether it was kept from an earlier request."""
        while reuse and self._idle:
            conn = self._idle.pop()
            if not conn.reader.at_eof():
                return conn, True
            conn.close()
        reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.timeout)
        return _Connection(reader, writer), False

    def _head(self, method: str, path: str, headers: dict[str, str], length: int | None) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if length is not None:
            lines.append(f"Content-Length: {length}")
        lines.extend(f"{k}: {v}" for k, v in headers.items())
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _keep_cookies(self, headers: list[tuple[bytes, bytes]]) -> None:
        for name, value in headers:
            if name == b"set-cookie":
                pair = value.split(b";", 1)[0].decode("latin-1")
                key, _, val = pair.partition("=")
                if val and "max-age=0" not in value.decode("latin-1").lower():
                    self.cookies[key.strip()] = val.strip().strip('"')
                else:
                    self.cookies.pop(key.strip(), None)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        first_line: bool = False,
    ) -> Response:
        """The whole response; with ``first_line``, only up to the body's first line (an
        event stream's), after which the connection is closed, not kept."""
        try:
            return await self._request(method, path, json_body, headers, first_line, reuse=True)
        except _StaleConnection:
            # A kept connection the server had closed (its keep-alive timeout) before any
            # byte of the answer: the request never reached it; send it on a new one, as
            # browsers and httpx do.
            return await self._request(method, path, json_body, headers, first_line, reuse=False)

    async def _request(
        self,
        method: str,
        path: str,
        json_body: Any,
        headers: dict[str, str] | None,
        first_line: bool,
        *,
        reuse: bool,
    ) -> Response:
        body = json.dumps(json_body).encode() if json_body is not None else b""
        extra = dict(headers or {})
        if json_body is not None:
            extra["Content-Type"] = "application/json"
        conn, reused = await self._connection(reuse)
        fresh = True
        got = False
        try:
            conn.writer.write(
                self._head(method, path, extra, len(body) if json_body is not None else None) + body
            )
            state = _Reader()
            async with asyncio.timeout(self.timeout):
                while not state.complete:
                    data = await conn.reader.read(65536)
                    if not data:
                        if reused and not got:
                            raise _StaleConnection
                        raise HttpError("the server closed the connection")
                    got = True
                    state.parser.feed_data(data)
                    if first_line and state.headers_done and b"\n" in b"".join(state.body):
                        break
            response = Response(state.parser.get_status_code(), state.headers, b"".join(state.body))
            self._keep_cookies(state.headers)
            if state.complete and not first_line and state.parser.should_keep_alive():
                self._idle.append(conn)
                fresh = False
            return response
        except ConnectionResetError as exc:
            if reused and not got:
                raise _StaleConnection from exc
            raise HttpError(f"{type(exc).__name__}: {exc}") from exc
        except (OSError, httptools.HttpParserError) as exc:
            raise HttpError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            if fresh:
                conn.close()

    async def get(self, path: str, **kwargs: Any) -> Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, json_body: Any, **kwargs: Any) -> Response:
        return await self.request("POST", path, json_body=json_body, **kwargs)

    async def aclose(self) -> None:
        for conn in self._idle:
            with contextlib.suppress(Exception):
                conn.close()
        self._idle.clear()
