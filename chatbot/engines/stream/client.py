"""Talking to Stream Chat: the client, ids, users, channels, and how to survive 429/5xx.

One job: every call this app makes to Stream goes through here (the engine in
``chatbot.engines.stream`` only decides *what* to send). Settings are read through
``chatbot.conf``; the SDK client is built lazily, once per process and settings.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from django.core.cache import cache
from requests.structures import CaseInsensitiveDict
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from ... import conf
from ...exceptions import ChatbotImproperlyConfigured, VendorError

if TYPE_CHECKING:
    from stream_chat.types.stream_response import StreamResponse

    from ...models import Conversation

logger = logging.getLogger("chatbot")

T = TypeVar("T")

CHANNEL_TYPE = "messaging"
DEFAULT_BASE_URL = "https://chat.stream-io-api.com"
# Per-request timeout; the SDK's default. A reply job is a worker thread, so a slow
# Stream costs that reply only.
TIMEOUT_SECONDS = 6.0
CHANNEL_ID_MAX = 64
# Stream accepts longer message ids, but ours must fit Message.engine_message_id.
MESSAGE_ID_MAX = 80
# Three tries in all, and never more than five seconds asleep per wait: a shopper is
# watching the reply, so after that a visible failure beats a longer silence.
RETRY_ATTEMPTS = 3
MAX_RETRY_WAIT = 5.0
BACKOFF_BASE = 0.25
# Upserting users and creating the channel is idempotent but costs two calls; once done,
# repeated token requests cost none for this long.
READY_CACHE_SECONDS = 24 * 60 * 60

_SAFE_ID = re.compile(r"[a-z0-9_-]+")
_UNSAFE_CHARS = re.compile(r"[^a-z0-9_-]+")


class Clock:
    """Time as the Stream code sees it; tests swap this module's ``clock`` for a fake
    one so a ten-second reply does not take ten seconds."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


clock = Clock()


class StreamError(VendorError):
    """Stream answered with an error (or not at all) after the bounded retries."""

    def __init__(
        self, message: str, *, status_code: int | None = None, code: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(message, status_code=status_code, code=code, **kwargs)

    @property
    def rate_limited(self) -> bool:
        return self.status_code == 429

    @property
    def auth_failed(self) -> bool:
        return self.status_code in (401, 403)


class StreamCallError(StreamAPIException):
    """The SDK's error plus the response headers, which it drops (we need
    ``X-RateLimit-Reset`` to wait the right time after a 429)."""

    def __init__(self, text: str, status_code: int, headers: CaseInsensitiveDict[str]) -> None:
        super().__init__(text, status_code)
        self.headers = headers


class _Client(StreamChat):
    def _parse_response(self, response: requests.Response) -> StreamResponse:
        try:
            return super()._parse_response(response)
        except StreamAPIException as exc:
            raise StreamCallError(
                exc.response_text, exc.status_code, CaseInsensitiveDict(response.headers)
            ) from None


# ---------------------------------------------------------------- the client

_client_lock = threading.Lock()
_clients: dict[tuple[str, str, str, float], StreamChat] = {}


def get_client() -> StreamChat:
    """The process's client for the current settings. Building it is offline (the server
    JWT is signed locally), so calling this never touches the network."""
    api_key = str(conf.get("STREAM_CHAT_API_KEY") or "")
    secret = str(conf.get("STREAM_CHAT_API_SECRET") or "")
    base_url = str(conf.get("STREAM_CHAT_BASE_URL") or "").rstrip("/")
    if not api_key or not secret:
        raise ChatbotImproperlyConfigured(
            "Stream Chat needs STREAM_CHAT_API_KEY and STREAM_CHAT_API_SECRET (Stream dashboard → your app)."
        )
    key = (api_key, secret, base_url, TIMEOUT_SECONDS)
    with _client_lock:
        client = _clients.get(key)
        if client is None:
            # Settings changed (tests, or a reload): the old client is of no further use.
            _clients.clear()
            options: dict[str, Any] = {"base_url": base_url} if base_url else {}
            client = _clients[key] = _Client(
                api_key=api_key, api_secret=secret, timeout=TIMEOUT_SECONDS, **options
            )
        return client


def reset_client() -> None:
    with _client_lock:
        _clients.clear()


def base_url() -> str:
    return str(conf.get("STREAM_CHAT_BASE_URL") or "").rstrip("/") or DEFAULT_BASE_URL


# ---------------------------------------------------------------- retries


def _header_float(headers: CaseInsensitiveDict[str] | None, name: str) -> float | None:
    raw = (headers or CaseInsensitiveDict()).get(name)
    if not raw:
        return None
    # Stream has been seen sending comma-joined duplicates ("1700000000, 1700000000").
    first = next((part.strip() for part in str(raw).split(",") if part.strip()), "")
    try:
        return float(first)
    except ValueError:
        return None


def backoff_delay(attempt: int) -> float:
    """Exponential, jittered so many replies hitting one limit do not retry in step."""
    return min(MAX_RETRY_WAIT, BACKOFF_BASE * 2 ** (attempt - 1)) * random.uniform(1.0, 1.2)


def retry_delay(exc: BaseException, attempt: int) -> float | None:
    """How long to wait before trying again after ``exc``, or None when trying again
    cannot help (a 4xx other than 429)."""
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return min(MAX_RETRY_WAIT, backoff_delay(attempt))
    if not isinstance(exc, StreamAPIException):
        return None
    if exc.status_code == 429:
        headers = getattr(exc, "headers", None)
        reset = _header_float(headers, "X-RateLimit-Reset")
        if reset is not None:
            return max(0.05, min(MAX_RETRY_WAIT, reset - clock.time()))
        retry_after = _header_float(headers, "Retry-After")
        if retry_after is not None:
            return max(0.05, min(MAX_RETRY_WAIT, retry_after))
        return min(MAX_RETRY_WAIT, backoff_delay(attempt))
    if exc.status_code >= 500:
        return min(MAX_RETRY_WAIT, backoff_delay(attempt))
    return None


def as_stream_error(what: str, exc: BaseException) -> StreamError:
    if isinstance(exc, StreamAPIException):
        code = getattr(exc, "error_code", None)
        detail = getattr(exc, "error_message", None) or f"HTTP {exc.status_code}"
        if exc.status_code == 429:
            hint = " (rate limit or plan quota: see the Stream dashboard)"
        elif exc.status_code in (401, 403):
            hint = " (check STREAM_CHAT_API_KEY and STREAM_CHAT_API_SECRET)"
        else:
            hint = ""
        return StreamError(
            f"Stream {what} failed: {detail}{hint}",
            status_code=exc.status_code,
            code=code,
            payload=exc.response_text,
        )
    return StreamError(f"Stream {what} failed: {type(exc).__name__}: {exc}")


def call(what: str, fn: Callable[..., T], *args: Any, attempts: int = RETRY_ATTEMPTS, **kwargs: Any) -> T:
    """Run one Stream call; wait and try again on 429 (until ``X-RateLimit-Reset``, or
    exponentially), on 5xx and on connection errors, at most ``attempts`` times in all.
    Raises :class:`StreamError` when it gives up."""
    for attempt in range(1, attempts + 1):
        try:
            return fn(*args, **kwargs)
        except (StreamAPIException, requests.ConnectionError, requests.Timeout) as exc:
            delay = retry_delay(exc, attempt)
            if delay is None or attempt == attempts:
                raise as_stream_error(what, exc) from exc
            logger.warning("Stream %s failed (%s); retrying in %.2fs", what, _describe(exc), delay)
            clock.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _describe(exc: BaseException) -> str:
    if isinstance(exc, StreamAPIException):
        return f"HTTP {exc.status_code}"
    return type(exc).__name__


def already_exists(exc: BaseException) -> bool:
    """Stream's answer to a message id it already has: our ids are deterministic, so a
    retried send that had in fact arrived is a success, not a failure."""
    cause = exc.__cause__ if isinstance(exc, StreamError) else exc
    if not isinstance(cause, StreamAPIException) or cause.status_code != 400:
        return False
    return "already exists" in (cause.response_text or "").lower()


# ---------------------------------------------------------------- ids


def stream_safe_id(raw: str, *, max_len: int = CHANNEL_ID_MAX) -> str:
    """``raw`` itself when Stream accepts it ([a-z0-9_-], short enough), else a readable
    slug plus a hash of the original, so two different raw ids never meet."""
    if raw and len(raw) <= max_len and _SAFE_ID.fullmatch(raw):
        return raw
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:12]
    slug = _UNSAFE_CHARS.sub("_", raw.lower()).strip("_")[: max_len - len(digest) - 1]
    return f"{slug}-{digest}" if slug else digest


def channel_id_for(conversation: Conversation) -> str:
    # Equal to Conversation.channel_id whenever that is already a valid Stream id (guest
    # and customer ids are [a-z0-9]), so both engines name the conversation alike.
    return stream_safe_id(f"{conversation.shop_id}-{conversation.chat_user_id}")


def shopper_user_id(chat_user_id: str) -> str:
    return stream_safe_id(chat_user_id, max_len=CHANNEL_ID_MAX)


def assistant_user_id(shop_id: str) -> str:
    return stream_safe_id(f"assistant-{shop_id}")


def is_assistant_user_id(user_id: str) -> bool:
    return user_id.startswith("assistant-")


def message_id_for(channel_id: str, local_id: str) -> str:
    return stream_safe_id(f"{channel_id}-{local_id}", max_len=MESSAGE_ID_MAX)


# ---------------------------------------------------------------- users and channels


def _shop_name(shop_id: str) -> str:
    from ...shops import shop_info

    try:
        info = shop_info(shop_id)
    except Exception:  # the adapter is the host's code: a missing shop name is not fatal
        logger.warning("Could not read the name of shop %s for its Stream assistant", shop_id, exc_info=True)
        info = None
    return info.name if info else shop_id


def assistant_user(shop_id: str, shop_name: str | None = None) -> dict[str, Any]:
    name = shop_name or _shop_name(shop_id)
    return {
        "id": assistant_user_id(shop_id),
        "name": f"{name} assistant",
        "role": "user",
        "chatbot_role": "assistant",
        "shop_id": shop_id,
    }


def shopper_user(chat_user_id: str, display_name: str) -> dict[str, Any]:
    return {
        "id": shopper_user_id(chat_user_id),
        "name": display_name or chat_user_id,
        "role": "user",
        # The raw id lets the webhook find the conversation even when the Stream id had
        # to be hashed.
        "chat_user_id": chat_user_id,
    }


def upsert_users(users: list[dict[str, Any]]) -> None:
    client = get_client()
    # Stream takes at most 100 users per upsert.
    for start in range(0, len(users), 100):
        call("user upsert", client.upsert_users, users[start : start + 100])


def ensure_assistant_user(shop_id: str) -> str:
    """Create or update the shop's assistant user (idempotent); returns its id."""
    user = assistant_user(shop_id)
    key = _ready_key("assistant", user["id"], user["name"])
    if not cache.get(key):
        upsert_users([user])
        cache.set(key, True, READY_CACHE_SECONDS)
    return str(user["id"])


@dataclass(frozen=True)
class ChannelIds:
    channel_id: str
    shopper_id: str
    assistant_id: str


def ids_for(conversation: Conversation) -> ChannelIds:
    return ChannelIds(
        channel_id=channel_id_for(conversation),
        shopper_id=shopper_user_id(conversation.chat_user_id),
        assistant_id=assistant_user_id(conversation.shop_id),
    )


def ensure_conversation(conversation: Conversation, display_name: str = "") -> ChannelIds:
    """The shopper and the assistant exist in Stream, and so does their channel.

    Two calls the first time (one upsert for both users, one get-or-create query), none
    afterwards while the cache remembers it.
    """
    ids = ids_for(conversation)
    name = display_name or conversation.display_name
    shop_name = _shop_name(conversation.shop_id)
    key = _ready_key("channel", ids.channel_id, ids.shopper_id, name, shop_name)
    if cache.get(key):
        return ids
    client = get_client()
    upsert_users(
        [shopper_user(conversation.chat_user_id, name), assistant_user(conversation.shop_id, shop_name)]
    )
    channel = client.channel(
        CHANNEL_TYPE,
        ids.channel_id,
        {
            "members": [ids.shopper_id, ids.assistant_id],
            "shop_id": conversation.shop_id,
            "chat_user_id": conversation.chat_user_id,
            "locale": conversation.language,
            "name": f"{shop_name} · {name}" if name else shop_name,
        },
    )
    call("channel create", channel.create, ids.assistant_id)
    cache.set(key, True, READY_CACHE_SECONDS)
    cache.set(_ready_key("assistant", ids.assistant_id, f"{shop_name} assistant"), True, READY_CACHE_SECONDS)
    return ids


def forget_conversation(conversation: Conversation) -> None:
    """After the channel was deleted: the next chat creates it again."""
    ids = ids_for(conversation)
    cache.delete(
        _ready_key(
            "channel",
            ids.channel_id,
            ids.shopper_id,
            conversation.display_name,
            _shop_name(conversation.shop_id),
        )
    )


def _ready_key(kind: str, *parts: str) -> str:
    # The API key is part of the key: pointing the site at another Stream app must
    # create the users and channels there too.
    material = "\x1f".join((str(conf.get("STREAM_CHAT_API_KEY")), *parts))
    return f"chatbot:stream:{kind}:v1:{hashlib.sha256(material.encode('utf-8')).hexdigest()[:32]}"


# ---------------------------------------------------------------- messages and events


def channel(channel_id: str) -> Any:
    return get_client().channel(CHANNEL_TYPE, channel_id)


def send_message(
    channel_id: str, message: dict[str, Any], user_id: str, *, attempts: int = RETRY_ATTEMPTS
) -> bool:
    """Post ``message`` (with its deterministic ``id``). True if Stream stored it now,
    False if it already had it (an earlier try did arrive)."""
    try:
        call("send message", channel(channel_id).send_message, message, user_id, attempts=attempts)
    except StreamError as exc:
        if already_exists(exc):
            return False
        raise
    return True


def update_message(
    message_id: str, fields: dict[str, Any], user_id: str, *, attempts: int = RETRY_ATTEMPTS
) -> None:
    """A persistent partial update (``PUT /messages/{id}``)."""
    client = get_client()
    call(
        "message update",
        client.update_message_partial,
        message_id,
        {"set": fields},
        user_id,
        attempts=attempts,
    )


def update_message_ephemeral(message_id: str, fields: dict[str, Any], user_id: str) -> None:
    """``PATCH /messages/{id}/ephemeral``: the watchers see the change, nothing is stored
    (meant for streamed partials). The Python SDK has no wrapper; one attempt only, the
    next partial carries newer text anyway. Raises the SDK's error as is."""
    get_client().patch(f"messages/{message_id}/ephemeral", data={"set": fields, "user": {"id": user_id}})


def send_event(
    channel_id: str, event: dict[str, Any], user_id: str, *, attempts: int = RETRY_ATTEMPTS
) -> None:
    call(f"event {event.get('type')}", channel(channel_id).send_event, event, user_id, attempts=attempts)


# ---------------------------------------------------------------- app settings


def get_app_settings() -> dict[str, Any]:
    response = call("app settings read", get_client().get_app_settings)
    return dict(response.get("app") or {})


def update_app_settings(**settings: Any) -> None:
    call("app settings update", get_client().update_app_settings, **settings)


# ---------------------------------------------------------------- shopper data (export, deletion)

# Exports and deletions are Stream tasks: asked for, then polled until done. A handful of
# channels finish in seconds; past this we give up with an error rather than hang the admin.
TASK_POLLS = 40
TASK_POLL_SECONDS = 0.5


def wait_for_task(what: str, read: Callable[[], Any]) -> dict[str, Any]:
    """Poll ``read`` (``get_task`` or ``get_export_channel_status``) until the task is
    ``completed``; raise :class:`StreamError` when it failed or took too long."""
    for _ in range(TASK_POLLS):
        task = dict(call(f"{what} status", read))
        status = task.get("status")
        if status == "completed":
            return task
        if status == "failed":
            raise StreamError(f"Stream {what} failed: {task.get('error') or 'task failed'}")
        clock.sleep(TASK_POLL_SECONDS)
    raise StreamError(f"Stream {what} did not finish in {TASK_POLLS * TASK_POLL_SECONDS:.0f} seconds")


def export_channel(channel_id: str) -> Any:
    """Stream's own export of one channel (``POST /export_channels``, then the task, then
    the file its ``result.url`` names), parsed as JSON; ``None`` if the channel is gone."""
    client = get_client()
    try:
        started = call("channel export", client.export_channels, [{"type": CHANNEL_TYPE, "id": channel_id}])
    except StreamError as exc:
        # Stream's SDK tests expect "Can't find channel" for a channel it never had.
        if "can't find channel" in str(getattr(exc, "payload", "")).lower():
            return None
        raise
    task_id = str(started["task_id"])
    task = wait_for_task("channel export", lambda: client.get_export_channel_status(task_id))
    url = (task.get("result") or {}).get("url") or ""
    if not url:
        raise StreamError("Stream channel export finished without a download URL")
    # A pre-signed file URL (no Stream credentials): a plain GET.
    response = requests.get(url, timeout=TIMEOUT_SECONDS * 5)
    if response.status_code != 200:
        raise StreamError(f"Stream export download failed: HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:  # the v2 format is line-separated JSON
        return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def delete_channel(channel_id: str) -> None:
    """Hard-delete one channel and its messages (``POST /channels/delete``), and wait."""
    client = get_client()
    started = call(
        "channel delete", client.delete_channels, [f"{CHANNEL_TYPE}:{channel_id}"], hard_delete=True
    )
    if started.get("task_id"):
        task_id = str(started["task_id"])
        wait_for_task("channel delete", lambda: client.get_task(task_id))


def delete_user(user_id: str) -> None:
    """Hard-delete a shopper's Stream user with their messages (``POST /users/delete``)."""
    client = get_client()
    started = call(
        "user delete", client.delete_users, [user_id], "hard", messages="hard", conversations="hard"
    )
    if started.get("task_id"):
        task_id = str(started["task_id"])
        wait_for_task("user delete", lambda: client.get_task(task_id))
