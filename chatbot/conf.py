"""The one place that reads the chatbot's settings.

Lookup order, for every name in ``DEFAULTS``: the Django setting of that name (which the
demo site fills from the environment with django-environ), else the default below. The
result is cached and reset on ``setting_changed`` so ``override_settings`` works in tests.
Per-shop values (enabled, assistant, welcome text, colours) live in the database
(``chatbot.models.ShopChatSettings``) and fall back to these.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

DEFAULTS: dict[str, Any] = {
    "CHATBOT_ENABLED": True,
    "CHATBOT_SHOP_ID": "demo",
    "CHATBOT_ASSISTANT": "auto",
    "CHATBOT_NODE_URL": "",
    "CHATBOT_SSO_SECRET": "",
    # The shop side of the gateway's tool callbacks: the gateway signs them with it.
    "CHATBOT_WEBHOOK_SECRET": "",
    # What this process serves: "shop" (the chat routes and widget), "gateway" (the AI
    # service for many shops: /gateway/v1/chat) or "both".
    "CHATBOT_ROLE": "shop",
    # Gateway: the key the per-shop secrets are encrypted with ("" = derived from SECRET_KEY).
    "CHATBOT_GATEWAY_KEY": "",
    # Gateway: how long a shop may take to answer a tool callback before the model is told
    # the tool is unavailable.
    "CHATBOT_GATEWAY_TOOL_TIMEOUT_SECONDS": 5.0,
    "CHATBOT_SHOP_ADAPTER": "",
    # The site's public URL (https://shop.example.com), for the webhook bootstrap registers.
    "CHATBOT_PUBLIC_URL": "",
    # Longest shopper message we accept; longer gets a clear 413.
    "CHATBOT_MAX_MESSAGE_CHARS": 4000,
    # Per-identity limit on messages and stops: this many requests per window.
    "CHATBOT_RATE_LIMIT": 20,
    "CHATBOT_RATE_LIMIT_WINDOW": 60,
    # The token route is called on every page load that opens the chat, so it gets more.
    "CHATBOT_TOKEN_RATE_LIMIT": 60,
    # Per client address (one office or phone network may hold many shoppers), per window:
    # messages and stops, and token calls. Changing cookies does not reset these.
    "CHATBOT_ADDRESS_RATE_LIMIT": 120,
    "CHATBOT_ADDRESS_TOKEN_RATE_LIMIT": 600,
    # New conversations one client address may start per hour.
    "CHATBOT_NEW_CONVERSATIONS_PER_HOUR": 120,
    # Site-wide: replies waiting or streaming (recent ones) beyond which new messages get 429.
    "CHATBOT_MAX_QUEUED_REPLIES": 200,
    # Open event streams per identity; the widget shares one per browser across tabs.
    "CHATBOT_MAX_STREAMS_PER_VISITOR": 4,
    # Keep-alive comment on an idle event stream (below the proxy's idle timeout; fly: 60 s).
    "CHATBOT_SSE_HEARTBEAT_SECONDS": 15.0,
    # The client's address: REMOTE_ADDR, or this header when the peer is a trusted proxy
    # ("Fly-Client-IP" on fly.io, "X-Forwarded-For" behind nginx). Proxies: comma-separated
    # addresses or networks (10.0.0.0/8), or "*" where only the proxy can reach the app.
    "CHATBOT_CLIENT_IP_HEADER": "",
    "CHATBOT_TRUSTED_PROXIES": "",
    # Lifetime of Stream user tokens.
    "CHATBOT_TOKEN_TTL": 60 * 60,
    # Replies run as tasks on an event loop (chatbot.runtime); their blocking steps (the
    # database, the shop adapter, the local assistant's ranking) share this many threads
    # per process. Few: they share the GIL with the loop that streams every reply and with
    # the threads serving requests, and when a thousand replies start or end together 16
    # runnable threads held the token route up for 300-750 ms (4: 65-280 ms;
    # bench/concurrency.py). Raise it for a host assistant that blocks on the network.
    "CHATBOT_REPLY_WORKERS": 4,
    # A reply whose process stops renewing its lease for this long is marked interrupted.
    "CHATBOT_REPLY_LEASE_SECONDS": 30,
    # "async" (tasks on the server's event loop, or one loop thread outside ASGI) or
    # "inline" (in the caller: tests, management commands). "thread" is an old name of async.
    "CHATBOT_REPLY_MODE": "async",
    # On SIGTERM, how long replies in flight may run on before they are checkpointed and
    # marked interrupted; keep it below the server's graceful timeout (bin/serve: 25 s).
    "CHATBOT_SHUTDOWN_GRACE_SECONDS": 20.0,
    # A reply showing "thinking" with no event this long makes the widget re-read it and say
    # so, with retry and stop (above the assistants' 60 s read timeout).
    "CHATBOT_REPLY_TIMEOUT_SECONDS": 90,
    # The widget's avatar: a logo image URL; empty shows the shop name's first letter.
    "CHATBOT_LOGO_URL": "",
    "STREAM_CHAT_ENABLED": False,
    "STREAM_CHAT_API_KEY": "",
    "STREAM_CHAT_API_SECRET": "",
    "STREAM_CHAT_BASE_URL": "",
    "COZE_API_BASE": "https://api.coze.cn",
    "COZE_BOT_ID": "",
    "COZE_OAUTH_APP_ID": "",
    "COZE_OAUTH_KEY_ID": "",
    "COZE_OAUTH_PRIVATE_KEY": "",
    "COZE_OAUTH_PRIVATE_KEY_FILE": "",
    "COZE_API_TOKEN": "",
    "OPENAI_BASE_URL": "",
    "OPENAI_API_KEY": "",
    "OPENAI_MODEL": "",
    # Optional semantic retrieval (chatbot.knowledge.embeddings): an OpenAI-compatible
    # embeddings API base with /v1 (Ollama: http://localhost:11434/v1); empty = BM25 only.
    "CHATBOT_EMBEDDINGS_URL": "",
    "CHATBOT_EMBEDDINGS_MODEL": "nomic-embed-text",
    "CHATBOT_EMBEDDINGS_API_KEY": "",
    # The question's embedding is on the reply path: wait this long, then rank by words.
    "CHATBOT_EMBEDDINGS_TIMEOUT_SECONDS": 2.0,
    # Cosine similarity from which a product that shares no word with the question is
    # still shown. Scales differ between models: check a few questions (docs/assistants.md).
    "CHATBOT_EMBEDDINGS_MIN_SIMILARITY": 0.5,
    "REDIS_URL": "",
    # Connections per process in each Redis pool (the cache's and the event hub's).
    "REDIS_MAX_CONNECTIONS": 50,
    # "1" forces the start-up lines and the Stream check, "0" forbids them; "" = only in
    # server processes (gunicorn, uvicorn, runserver's child).
    "CHATBOT_BOOTSTRAP_ON_START": "",
}


@lru_cache(maxsize=1)
def get_config() -> dict[str, Any]:
    return {name: getattr(settings, name, default) for name, default in DEFAULTS.items()}


def get(name: str) -> Any:
    return get_config()[name]


@receiver(setting_changed)
def _reset_config(*, setting: str, **kwargs: Any) -> None:
    if setting in DEFAULTS:
        get_config.cache_clear()


def stream_enabled() -> bool:
    cfg = get_config()
    return bool(cfg["STREAM_CHAT_ENABLED"] and cfg["STREAM_CHAT_API_KEY"] and cfg["STREAM_CHAT_API_SECRET"])


def coze_configured() -> bool:
    cfg = get_config()
    has_auth = bool(cfg["COZE_API_TOKEN"]) or bool(
        cfg["COZE_OAUTH_APP_ID"]
        and cfg["COZE_OAUTH_KEY_ID"]
        and (cfg["COZE_OAUTH_PRIVATE_KEY"] or cfg["COZE_OAUTH_PRIVATE_KEY_FILE"])
    )
    return bool(cfg["COZE_BOT_ID"]) and has_auth


def default_assistant_name() -> str:
    """``auto`` picks coze if its keys are set, else gateway if CHATBOT_NODE_URL is set,
    else local (DESIGN.md)."""
    chosen = str(get("CHATBOT_ASSISTANT") or "auto").strip()
    if chosen.lower() != "auto":
        # Short names are case-insensitive; a dotted path names a class and keeps its case.
        return chosen if "." in chosen else chosen.lower()
    if coze_configured():
        return "coze"
    if get("CHATBOT_NODE_URL"):
        return "gateway"
    return "local"


ROLES = ("shop", "gateway", "both")


def role() -> str:
    """``CHATBOT_ROLE``: ``shop``, ``gateway`` or ``both``; anything else is refused."""
    from .exceptions import ChatbotImproperlyConfigured

    value = str(get("CHATBOT_ROLE") or "shop").strip().lower()
    if value not in ROLES:
        raise ChatbotImproperlyConfigured(f"CHATBOT_ROLE must be one of {', '.join(ROLES)}, not {value!r}.")
    return value


def serves_shop() -> bool:
    return role() in ("shop", "both")


def serves_gateway() -> bool:
    return role() in ("gateway", "both")
