"""Shared base for assistants that reach a model over HTTP (Coze, OpenAI-compatible,
the remote gateway), in the spirit of django-anymail's ``base_requests``, asynchronous:
a reply is a task on the server's event loop and waits for the vendor without a thread.

It owns what every remote assistant does the same way, so each provider module only maps
payloads:

- the ``httpx.AsyncClient`` of the running loop for this assistant class
  (``chatbot.assistants.clients``), a connect and a read timeout;
- mapping transport failures and error answers to :class:`UpstreamError` (a
  :class:`~chatbot.exceptions.VendorError` that knows whether a retry may help);
- bounded retries with exponential backoff, used only *before* a reply starts streaming
  (after that the shopper has seen text and a retry would duplicate it);
- reading an SSE body as it arrives.

The shop's tools, as a remote model sees them, are in ``toolbridge``.

Nothing here logs a header, a request body or a key: log lines carry the vendor, the
status, the vendor's error code and its log id, which is what their support asks for.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from ..exceptions import VendorError
from ..sse import SSEDecoder, SSEEvent
from .base import AssistantError, ShopAssistant
from .clients import loop_client

logger = logging.getLogger("chatbot.assistants")

T = TypeVar("T")

DEFAULT_CONNECT_TIMEOUT = 5.0
# Between two bytes of a streamed answer, not for the whole answer.
DEFAULT_READ_TIMEOUT = 60.0

# After an answer's last event, how long and how much of the rest of the body is read so
# the connection can be reused (the rest is a few bytes, normally already received).
DRAIN_SECONDS = 1.0
DRAIN_BYTES = 65536

RETRYABLE_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` counts the first try. Delays double from ``base_delay`` up to
    ``max_delay``, with jitter so replies hit by the same outage do not retry in step."""

    attempts: int = 3
    base_delay: float = 0.4
    max_delay: float = 4.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return ceiling * (0.5 + random.random() / 2)


class UpstreamError(VendorError):
    """A remote model failed. ``retryable`` says whether the same request may succeed
    later (rate limit, 5xx, timeout); ``logid`` is the vendor's request id for support."""

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        status_code: int | None = None,
        code: Any = None,
        retryable: bool = False,
        logid: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code, **kwargs)
        self.vendor = vendor
        self.retryable = retryable
        self.logid = logid


class RemoteAssistant(ShopAssistant):
    """Base class of the assistants that call a remote model; subclasses implement
    ``areply``."""

    vendor = "remote"

    def __init__(
        self,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        retry: RetryPolicy | None = None,
    ) -> None:
        # Write and pool waits get the read timeout: neither should happen in practice
        # (small bodies, no connection cap), and neither may hang a reply forever.
        self.timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self.retry = retry or RetryPolicy()

    @property
    def client(self) -> httpx.AsyncClient:
        return loop_client(f"{type(self).__module__}.{type(self).__qualname__}")

    # --- transport -------------------------------------------------------------------

    async def post(
        self,
        url: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        stream: bool = False,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """POST, turning transport failures into retryable :class:`UpstreamError`s.
        With ``stream`` the body is left unread: the caller reads it (``iter_events``)
        or closes it. The caller checks the status (``raise_for_status``) because vendors
        differ in what an error body looks like."""
        try:
            request = self.client.build_request(
                "POST",
                url,
                json=json_body,
                content=data,
                headers=dict(headers or {}),
                params=dict(params) if params else None,
                timeout=timeout or self.timeout,
            )
            return await self.client.send(request, stream=stream)
        except httpx.TimeoutException as exc:
            raise UpstreamError(
                f"{self.vendor} did not answer in time ({_where(url)}).",
                vendor=self.vendor,
                code="timeout",
                retryable=True,
            ) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            # The exception text may quote the URL with its query; ours names the host only.
            raise UpstreamError(
                f"Could not reach {self.vendor} ({_where(url)}).",
                vendor=self.vendor,
                code="connection_error",
                retryable=True,
            ) from exc

    async def read_json(self, response: httpx.Response) -> Any:
        """The body as JSON, ``None`` when it is not; the response is closed after."""
        try:
            await response.aread()
        except httpx.HTTPError:
            return None
        finally:
            await response.aclose()
        try:
            return response.json()
        except ValueError:
            return None

    async def raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        payload = await self.read_json(response)
        code, message = self.error_code_and_message(payload)
        raise UpstreamError(
            f"{self.vendor} answered HTTP {response.status_code}"
            + (f" ({code}: {message})" if code else "")
            + ".",
            vendor=self.vendor,
            status_code=response.status_code,
            code=code,
            retryable=response.status_code in RETRYABLE_STATUSES or response.status_code >= 500,
            logid=self.logid_of(response, payload),
            payload=payload,
            response=response,
        )

    def error_code_and_message(self, payload: Any) -> tuple[Any, str]:
        """The vendor's error code and text from an error body; subclasses know the shape."""
        if isinstance(payload, dict):
            error = payload.get("error")
            if isinstance(error, dict):
                return error.get("code") or error.get("type"), str(error.get("message") or "")
            if isinstance(error, str):
                return error, str(payload.get("message") or "")
        return None, ""

    def logid_of(self, response: httpx.Response | None, payload: Any = None) -> str:
        return ""

    async def with_retries(self, call: Callable[[], Awaitable[T]], *, what: str) -> T:
        """Await ``call()`` until it succeeds, fails for good, or the attempts run out.
        Only for steps whose failure the shopper has not seen yet."""
        attempt = 1
        while True:
            try:
                return await call()
            except UpstreamError as exc:
                if not exc.retryable or attempt >= self.retry.attempts:
                    raise
                delay = self.retry.delay(attempt)
                logger.warning(
                    "%s %s failed (attempt %d of %d, status=%s code=%s logid=%s); retrying in %.2fs",
                    self.vendor,
                    what,
                    attempt,
                    self.retry.attempts,
                    exc.status_code,
                    exc.code,
                    exc.logid or "-",
                    delay,
                )
                await asyncio.sleep(delay)
                attempt += 1

    async def iter_events(
        self, response: httpx.Response, *, last: Callable[[SSEEvent], bool] | None = None
    ) -> AsyncGenerator[SSEEvent, None]:
        """SSE events of a streamed answer, each as soon as its blank line arrives. The
        response is closed when the events end, fail, or the iterator is closed (a
        connection closed mid-answer tells the vendor to stop).

        An event for which ``last`` is true ends the answer: what remains of the body
        (the end of the chunked encoding, usually already on the wire) is read first, so
        the connection goes back to the pool for the next reply instead of being closed
        because its body was left half read."""
        chunks = response.aiter_bytes()
        decoder = SSEDecoder()
        try:
            async for chunk in chunks:
                for event in decoder.feed(chunk):
                    if last is not None and last(event):
                        await _drain(chunks)
                        yield event
                        return
                    yield event
            for event in decoder.close():
                yield event
        except httpx.TimeoutException as exc:
            raise UpstreamError(
                f"{self.vendor} stopped answering in time.",
                vendor=self.vendor,
                code="timeout",
                retryable=True,
            ) from exc
        except (httpx.HTTPError, OSError) as exc:
            raise UpstreamError(
                f"{self.vendor} stopped streaming mid-answer.",
                vendor=self.vendor,
                code="stream_interrupted",
                retryable=True,
            ) from exc
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
            await response.aclose()

    def log_failure(self, exc: UpstreamError, what: str) -> None:
        logger.error(
            "%s %s failed: status=%s code=%s logid=%s: %s",
            self.vendor,
            what,
            exc.status_code,
            exc.code,
            exc.logid or "-",
            exc,
        )

    def assistant_error(self, exc: UpstreamError, *, started: bool) -> AssistantError:
        """What the pipeline sees. Every upstream failure is worth the shopper's retry
        button, except configuration mistakes (bad key, unknown bot) that a retry cannot
        fix."""
        return AssistantError(
            f"{self.vendor} could not answer: {exc}",
            retryable=exc.retryable or started or not _is_configuration_error(exc),
            started=started,
            code=f"{self.name}_{exc.code}" if exc.code not in (None, "") else f"{self.name}_error",
        )


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    # Bounded: a server that goes on sending after its last event is cut off instead.
    received = 0
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            async for chunk in chunks:
                received += len(chunk)
                if received > DRAIN_BYTES:
                    return
    except (TimeoutError, httpx.HTTPError, OSError):
        pass


def _is_configuration_error(exc: UpstreamError) -> bool:
    return exc.status_code in (401, 403, 404) or str(exc.code) in {
        "4000",
        "4100",
        "4101",
        "4200",
        "invalid_client",
    }


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"
