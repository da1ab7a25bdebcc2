"""One HTTP exchange with an ASGI application in the test's own process, as uvicorn would
make it (the scope it builds, the body in one message)."""

from __future__ import annotations

from typing import Any

from asgiref.testing import ApplicationCommunicator


async def exchange(
    application: Any,
    url: str,
    *,
    method: str = "GET",
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    disconnect: bool = False,
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """One request through ``application``: its status, headers (as sent, repeats kept) and
    body. With ``disconnect``, as uvicorn serves one: once the response is complete,
    ``receive`` says the client is gone (``http.disconnect``), which Django's listener
    raises as RequestAborted, and the handler closes the response."""
    path, _, query = url.partition("?")
    sent = [(b"host", b"127.0.0.1"), *(headers or [])]
    if body:
        sent.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": sent,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "scheme": "http",
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": body})
    start = await communicator.receive_output(5)
    content = b""
    while True:
        message = await communicator.receive_output(5)
        content += message.get("body", b"")
        if not message.get("more_body"):
            break
    if disconnect:
        await communicator.send_input({"type": "http.disconnect"})
        await communicator.wait(5)
    return start["status"], list(start["headers"]), content
