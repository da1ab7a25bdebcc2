"""Shared base for assistants that reach a model over HTTP (Coze, OpenAI-compatible,
the remote gateway), in the spirit of django-anymail's ``base_requests``.

It owns what every remote assistant does the same way, so each provider module only maps
payloads:

- one ``requests.Session`` per assistant, a connect and a read timeout;
- mapping transport failures and error answers to :class:`UpstreamError` (a
  :class:`~chatbot.exceptions.VendorError` that knows whether a retry may help);
- bounded retries with exponential backoff, used only *before* a reply starts streaming
  (after that the shopper has seen text and a retry would duplicate it);
- reading an SSE body as it arrives;
- the bridge to the shop's tools (``chatbot.tools.run_tool``) that turns tool results
  into product cards and hand-off events, and a best-effort intent.

Nothing here logs a header, a request body or a key: log lines carry the vendor, the
status, the vendor's error code and its log id, which is what their support asks for.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import urllib3

from .. import tools
from ..exceptions import VendorError
from ..sse import SSEEvent, iter_sse
from ..vocabulary import AssistantEvent, HandoffRequested, ProductCard, ProductCards
from .base import AssistantContext, AssistantError, ShopAssistant

logger = logging.getLogger("chatbot.assistants")

T = TypeVar("T")

DEFAULT_CONNECT_TIMEOUT = 5.0
# Between two bytes of a streamed answer, not for the whole answer.
DEFAULT_READ_TIMEOUT = 60.0

RETRYABLE_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})

_sessions = threading.local()


def thread_session(name: str) -> requests.Session:
    """A session per assistant class and thread. Assistants are built per reply, but a
    reply worker thread keeps its sessions, so the TLS connection to the vendor is reused
    from one reply to the next (a ``Session`` is not meant to be shared across threads)."""
    pool: dict[str, requests.Session] | None = getattr(_sessions, "pool", None)
    if pool is None:
        pool = _sessions.pool = {}
    if name not in pool:
        pool[name] = requests.Session()
    return pool[name]


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` counts the first try. Delays double from ``base_delay`` up to
    ``max_delay``, with jitter so workers hit by the same outage do not retry in step."""

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
    """Base class of the assistants that call a remote model."""

    vendor = "remote"

    def __init__(
        self,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.timeout = (connect_timeout, read_timeout)
        self.retry = retry or RetryPolicy()
        self.session = session or thread_session(type(self).__name__)

    # --- transport -------------------------------------------------------------------

    def post(
        self,
        url: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """POST, turning transport failures into retryable :class:`UpstreamError`s.
        The caller checks the status (``raise_for_status``) because vendors differ in
        what an error body looks like."""
        try:
            return self.session.post(
                url,
                json=json_body,
                data=data,
                headers=dict(headers or {}),
                params=dict(params or {}),
                stream=stream,
                timeout=self.timeout,
            )
        except requests.Timeout as exc:
            raise UpstreamError(
                f"{self.vendor} did not answer in time ({_where(url)}).",
                vendor=self.vendor,
                code="timeout",
                retryable=True,
            ) from exc
        except requests.RequestException as exc:
            # The exception text may quote the URL with its query; ours names the host only.
            raise UpstreamError(
                f"Could not reach {self.vendor} ({_where(url)}).",
                vendor=self.vendor,
                code="connection_error",
                retryable=True,
            ) from exc

    def raise_for_status(self, response: requests.Response) -> None:
        if response.status_code < 400:
            return
        payload = _json_or_none(response)
        code, message = self.error_code_and_message(payload)
        response.close()
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

    def logid_of(self, response: requests.Response | None, payload: Any = None) -> str:
        return ""

    def with_retries(self, call: Callable[[], T], *, what: str) -> T:
        """Run ``call`` until it succeeds, fails for good, or the attempts run out.
        Only for steps whose failure the shopper has not seen yet."""
        attempt = 1
        while True:
            try:
                return call()
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
                time.sleep(delay)
                attempt += 1

    def iter_events(self, response: requests.Response) -> Generator[SSEEvent, None, None]:
        """SSE events of a streamed answer, each as soon as its blank line arrives."""
        try:
            yield from iter_sse(iter_body_chunks(response))
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            timed_out = isinstance(exc, requests.Timeout | urllib3.exceptions.ReadTimeoutError | TimeoutError)
            raise UpstreamError(
                f"{self.vendor} stopped " + ("answering in time." if timed_out else "streaming mid-answer."),
                vendor=self.vendor,
                code="timeout" if timed_out else "stream_interrupted",
                retryable=True,
            ) from exc
        finally:
            response.close()

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


def _is_configuration_error(exc: UpstreamError) -> bool:
    return exc.status_code in (401, 403, 404) or str(exc.code) in {
        "4000",
        "4100",
        "4101",
        "4200",
        "invalid_client",
    }


def iter_body_chunks(response: requests.Response, size: int = 65536) -> Iterator[bytes]:
    """The body as it arrives. ``iter_content`` would wait for ``size`` bytes on a
    response without chunked encoding, holding back a short SSE event; ``read1`` returns
    whatever the socket has."""
    raw = response.raw
    if getattr(raw, "chunked", False) and raw.supports_chunked_reads():
        yield from raw.read_chunked(None, decode_content=True)
        return
    read1 = getattr(raw, "read1", None)
    if read1 is None:
        yield from response.iter_content(chunk_size=None)
        return
    while True:
        data = read1(size, decode_content=True)
        if not data:
            return
        yield data


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


# --- the shop's tools, as seen from a remote model -----------------------------------

PRODUCT_TOOLS = ("search_products", "get_product")


class ShopToolBridge:
    """Runs the tools a remote model asks for, for one reply, and remembers what they
    showed so the reply can carry cards, a hand-off flag and an intent."""

    def __init__(self, context: AssistantContext) -> None:
        self.context = context
        self.called: list[str] = []
        self.products: dict[str, ProductCard] = {}
        self.handoff_reason: str | None = None

    def run(self, name: str, arguments: str | Mapping[str, Any] | None) -> tuple[str, list[AssistantEvent]]:
        """The tool's output as the JSON text to hand back to the model, and the events
        the widget should see. ``arguments`` is the model's JSON text (``run_tool``
        validates it and answers bad input with an error the model can read)."""
        self.called.append(name)
        try:
            result: Any = tools.run_tool(
                name, dict(arguments) if isinstance(arguments, Mapping) else arguments, self.context
            )
        except Exception:
            # run_tool promises not to raise; should it anyway, the model is told and
            # answers without the tool rather than the reply failing.
            logger.exception("Shop tool %s failed", name)
            result = {"error": "tool_failed", "message": "This information is unavailable right now."}
        events: list[AssistantEvent] = []
        if name in PRODUCT_TOOLS:
            cards = [
                card for card in cards_in(result, self.context.shop.currency) if card.sku not in self.products
            ]
            for card in cards:
                self.products[card.sku] = card
            if cards:
                events.append(ProductCards(tuple(cards)))
        elif name == "request_handoff" and isinstance(result, dict) and result.get("handoff"):
            self.handoff_reason = str(result.get("reason") or "")
            events.append(HandoffRequested(self.handoff_reason))
        return json.dumps(_jsonable(result), ensure_ascii=False, default=str), events

    @property
    def handoff(self) -> bool:
        return self.handoff_reason is not None

    def intent(self, answer: str) -> str:
        """Best effort: what the tools show, else a guess from the shopper's message."""
        if self.handoff:
            return "handoff"
        if "get_order_status" in self.called:
            return "order_status"
        if "get_product" in self.called:
            return "product_question"
        if "search_products" in self.called or self.products:
            return "product_search"
        if "search_faq" in self.called:
            return "faq"
        return guess_intent(self.context.message, answer)


_GREETING = re.compile(
    r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|你好|您好|嗨|哈喽|早上好|晚上好)\b", re.I
)
_QUESTION = re.compile(
    r"[?？]|\b(how|what|when|where|why|which|can|do|does|is|are)\b|吗|怎么|如何|什么|多久|哪|能否|可以"
)


def guess_intent(message: str, answer: str) -> str:
    if not answer.strip():
        return "out_of_scope"
    if _GREETING.search(message) and len(message) <= 40:
        return "greeting"
    if _QUESTION.search(message.lower()):
        return "faq"
    return "smalltalk"


def _jsonable(value: Any) -> Any:
    if isinstance(value, ProductCard):
        return value.as_dict()
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if hasattr(value, "as_dict"):
        return _jsonable(value.as_dict())
    return value


def cards_in(result: Any, currency: str) -> list[ProductCard]:
    """Product cards found in a tool result: ``ProductCard``s, or product-shaped dicts
    (``sku``, ``name``, ``price``) at any depth."""
    found: list[ProductCard] = []
    if isinstance(result, ProductCard):
        found.append(result)
    elif isinstance(result, dict):
        card = _card_from_dict(result, currency)
        if card is not None:
            found.append(card)
        else:
            for value in result.values():
                if isinstance(value, dict | list | tuple | ProductCard):
                    found.extend(cards_in(value, currency))
    elif isinstance(result, list | tuple):
        for item in result:
            found.extend(cards_in(item, currency))
    elif hasattr(result, "as_dict"):
        found.extend(cards_in(result.as_dict(), currency))
    return found


def _card_from_dict(data: Mapping[str, Any], currency: str) -> ProductCard | None:
    if not all(key in data for key in ("sku", "name", "price")):
        return None
    try:
        price = f"{Decimal(str(data['price'])):.2f}"
    except (InvalidOperation, ValueError):
        price = str(data["price"])
    try:
        stock = int(data.get("stock") or 0)
    except (TypeError, ValueError):
        stock = 0
    in_stock = data.get("inStock", data.get("in_stock"))
    return ProductCard(
        sku=str(data["sku"]),
        name=str(data["name"]),
        price=price,
        currency=str(data.get("currency") or currency),
        stock=stock,
        in_stock=bool(stock > 0 if in_stock is None else in_stock),
        url=str(data.get("url") or ""),
        image_url=str(data.get("imageUrl") or data.get("image_url") or ""),
    )
