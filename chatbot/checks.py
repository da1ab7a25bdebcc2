"""System checks for the chatbot's settings (``manage.py check``; every management
command runs them). Stable ids, so a deployment can silence one on purpose with
``SILENCED_SYSTEM_CHECKS``. Offline only, and no message ever quotes a secret's value.

| id | problem |
|---|---|
| chatbot.E001 | STREAM_CHAT_ENABLED without STREAM_CHAT_API_KEY |
| chatbot.E002 | STREAM_CHAT_API_KEY without STREAM_CHAT_API_SECRET |
| chatbot.E003 | STREAM_CHAT_BASE_URL is not an http(s) URL |
| chatbot.E004 | CHATBOT_SHOP_ADAPTER missing, not importable or not a ShopAdapter |
| chatbot.E005 | COZE_OAUTH_PRIVATE_KEY_FILE names a file that does not exist |
| chatbot.E006 | CHATBOT_NODE_URL is not an http(s) URL |
| chatbot.E007 | no SessionMiddleware (guests live in the session) |
| chatbot.W001 | Coze partly configured (bot id without credentials, or the reverse) |
| chatbot.W002 | CHATBOT_ASSISTANT names no known assistant |
| chatbot.W003 | CHATBOT_NODE_URL without CHATBOT_SSO_SECRET |
| chatbot.W004 | the chosen assistant lacks its settings (coze, openai, gateway) |
| chatbot.W005 | Stream key and secret set but STREAM_CHAT_ENABLED is false |
| chatbot.W006 | SESSION_COOKIE_HTTPONLY is False |
| chatbot.W007 | CHATBOT_TRUSTED_PROXIES or CHATBOT_CLIENT_IP_HEADER set without the other |
| chatbot.W008 | no chatbot.middleware.ChatErrorsMiddleware (pre-view errors would be HTML) |
| chatbot.E010 | CHATBOT_ROLE is not shop, gateway or both |
| chatbot.W010 | gateway assistant without CHATBOT_PUBLIC_URL or CHATBOT_WEBHOOK_SECRET (no tools) |
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string

from . import conf

TAG = "chatbot"


def _is_http_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


@register(TAG)
def check_stream(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    cfg = conf.get_config()
    found: list[CheckMessage] = []
    enabled, key, secret = (
        cfg["STREAM_CHAT_ENABLED"],
        cfg["STREAM_CHAT_API_KEY"],
        cfg["STREAM_CHAT_API_SECRET"],
    )
    if enabled and not key:
        found.append(
            Error(
                "STREAM_CHAT_ENABLED is true but STREAM_CHAT_API_KEY is empty.",
                hint="Copy the key from the Stream dashboard (your app → Overview), "
                "or set STREAM_CHAT_ENABLED=false to use the local engine.",
                id="chatbot.E001",
            )
        )
    if key and not secret:
        found.append(
            Error(
                "STREAM_CHAT_API_KEY is set but STREAM_CHAT_API_SECRET is empty.",
                hint="The secret signs user tokens and verifies webhooks; "
                "copy it from the same dashboard page.",
                id="chatbot.E002",
            )
        )
    if not enabled and key and secret:
        found.append(
            Warning(
                "Stream Chat keys are set but STREAM_CHAT_ENABLED is false: the local engine is in use.",
                hint="Set STREAM_CHAT_ENABLED=true to run the chat on Stream.",
                id="chatbot.W005",
            )
        )
    base_url = str(cfg["STREAM_CHAT_BASE_URL"] or "")
    if base_url and not _is_http_url(base_url):
        found.append(
            Error(
                "STREAM_CHAT_BASE_URL is not an http(s) URL.",
                hint="Leave it empty for Stream's default (https://chat.stream-io-api.com) "
                "or give a full URL.",
                id="chatbot.E003",
            )
        )
    return found


@register(TAG)
def check_shop_adapter(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from .adapters import ShopAdapter

    path = str(conf.get("CHATBOT_SHOP_ADAPTER") or "")
    if not path:
        problem = "CHATBOT_SHOP_ADAPTER is not set."
    else:
        try:
            cls = import_string(path)
        except ImportError as exc:
            problem = f"CHATBOT_SHOP_ADAPTER={path!r} cannot be imported ({exc})."
        else:
            if isinstance(cls, type) and issubclass(cls, ShopAdapter):
                return []
            problem = f"CHATBOT_SHOP_ADAPTER={path!r} is not a chatbot.adapters.ShopAdapter subclass."
    return [
        Error(
            problem,
            hint="Point it at your ShopAdapter subclass, e.g. 'storefront.chat_adapter.StorefrontAdapter'.",
            id="chatbot.E004",
        )
    ]


@register(TAG)
def check_assistants(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from .assistants import ASSISTANT_CLASSES

    cfg = conf.get_config()
    found: list[CheckMessage] = []

    has_token = bool(cfg["COZE_API_TOKEN"])
    oauth_parts = {
        "COZE_OAUTH_APP_ID": bool(cfg["COZE_OAUTH_APP_ID"]),
        "COZE_OAUTH_KEY_ID": bool(cfg["COZE_OAUTH_KEY_ID"]),
        "COZE_OAUTH_PRIVATE_KEY(_FILE)": bool(
            cfg["COZE_OAUTH_PRIVATE_KEY"] or cfg["COZE_OAUTH_PRIVATE_KEY_FILE"]
        ),
    }
    has_oauth = all(oauth_parts.values())
    some_oauth = any(oauth_parts.values())
    bot_id = bool(cfg["COZE_BOT_ID"])
    if bot_id and not (has_token or has_oauth):
        missing = [name for name, present in oauth_parts.items() if not present]
        found.append(
            Warning(
                "COZE_BOT_ID is set but Coze has no credentials.",
                hint="Set COZE_API_TOKEN, or all of the JWT OAuth settings (missing: "
                + ", ".join(missing)
                + ").",
                id="chatbot.W001",
            )
        )
    elif (has_token or some_oauth) and not bot_id:
        found.append(
            Warning(
                "Coze credentials are set but COZE_BOT_ID is empty.",
                hint="Set COZE_BOT_ID (or a per-shop Coze bot id in admin) or remove the Coze settings.",
                id="chatbot.W001",
            )
        )

    key_file = str(cfg["COZE_OAUTH_PRIVATE_KEY_FILE"] or "")
    if key_file and not os.path.isfile(key_file):
        found.append(
            Error(
                "COZE_OAUTH_PRIVATE_KEY_FILE names a file that does not exist.",
                hint=f"Check the path ({key_file}) or put the PEM text in COZE_OAUTH_PRIVATE_KEY.",
                id="chatbot.E005",
            )
        )

    node_url = str(cfg["CHATBOT_NODE_URL"] or "")
    if node_url and not _is_http_url(node_url):
        found.append(Error("CHATBOT_NODE_URL is not an http(s) URL.", id="chatbot.E006"))
    if node_url and not cfg["CHATBOT_SSO_SECRET"]:
        found.append(
            Warning(
                "CHATBOT_NODE_URL is set without CHATBOT_SSO_SECRET.",
                hint="Requests to the gateway are signed with CHATBOT_SSO_SECRET; "
                "set the same value on both sides.",
                id="chatbot.W003",
            )
        )

    if str(cfg["CHATBOT_ROLE"] or "shop").strip().lower() not in conf.ROLES:
        found.append(
            Error(
                f"CHATBOT_ROLE={cfg['CHATBOT_ROLE']!r} is not one of {', '.join(conf.ROLES)}.",
                id="chatbot.E010",
            )
        )
    elif conf.serves_shop() and conf.default_assistant_name() == "gateway":
        lacking = [name for name in ("CHATBOT_PUBLIC_URL", "CHATBOT_WEBHOOK_SECRET") if not cfg[name]]
        if lacking:
            found.append(
                Warning(
                    f"The gateway assistant is in use without {' and '.join(lacking)}.",
                    hint="The gateway asks this shop for catalog, FAQ and order results at "
                    "CHATBOT_PUBLIC_URL + /api/chatbot/gateway-tools, signed with CHATBOT_WEBHOOK_SECRET; "
                    "without them its model answers without the shop's data.",
                    id="chatbot.W010",
                )
            )

    chosen = str(cfg["CHATBOT_ASSISTANT"] or "auto").lower()
    if chosen != "auto" and chosen not in ASSISTANT_CLASSES:
        found.append(
            Warning(
                f"CHATBOT_ASSISTANT={chosen!r} is not a known assistant; the chat will fail to answer.",
                hint="Use auto, " + ", ".join(sorted(ASSISTANT_CLASSES)) + ".",
                id="chatbot.W002",
            )
        )
    missing_for = {
        "coze": not conf.coze_configured(),
        "openai": not (cfg["OPENAI_BASE_URL"] and cfg["OPENAI_MODEL"]),
        "gateway": not node_url,
    }
    if missing_for.get(chosen):
        needs = {
            "coze": "COZE_BOT_ID and COZE_API_TOKEN or the JWT OAuth settings",
            "openai": "OPENAI_BASE_URL and OPENAI_MODEL",
            "gateway": "CHATBOT_NODE_URL",
        }[chosen]
        found.append(
            Warning(
                f"CHATBOT_ASSISTANT={chosen} but {needs} are not set.",
                hint="Set them, or use CHATBOT_ASSISTANT=auto to fall back to the built-in assistant.",
                id="chatbot.W004",
            )
        )
    return found


@register()
def check_sessions(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A guest lives in the host's Django session (chatbot.identity): without sessions
    every request would be a stranger, and a script-readable session cookie would let a
    page script carry the chat away."""
    found: list[CheckMessage] = []
    middleware = list(getattr(settings, "MIDDLEWARE", []) or [])
    if not any(m.endswith("SessionMiddleware") for m in middleware):
        found.append(
            Error(
                "The chat keeps guests in the Django session, but no SessionMiddleware is in MIDDLEWARE.",
                hint="Add 'django.contrib.sessions.middleware.SessionMiddleware' to MIDDLEWARE.",
                id="chatbot.E007",
            )
        )
    if "chatbot.middleware.ChatErrorsMiddleware" not in middleware:
        found.append(
            Warning(
                "chatbot.middleware.ChatErrorsMiddleware is not in MIDDLEWARE: a bad Host header or "
                "an oversized body on a chat route gets Django's HTML error page, not the chat's JSON.",
                hint="Add 'chatbot.middleware.ChatErrorsMiddleware' near the top of MIDDLEWARE "
                "(before SecurityMiddleware and CommonMiddleware).",
                id="chatbot.W008",
            )
        )
    if not getattr(settings, "SESSION_COOKIE_HTTPONLY", True):
        found.append(
            Warning(
                "SESSION_COOKIE_HTTPONLY is False: page scripts can read the cookie that names a guest.",
                hint="Leave SESSION_COOKIE_HTTPONLY at its default (True).",
                id="chatbot.W006",
            )
        )
    return found


@register()
def check_client_address(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Per-address limits count the proxy instead of each shopper when the header is
    missing, and trust anyone's header when the proxies are wrong."""
    from .clientaddr import bad_trusted_proxies

    header = str(conf.get("CHATBOT_CLIENT_IP_HEADER") or "")
    proxies = str(conf.get("CHATBOT_TRUSTED_PROXIES") or "")
    found: list[CheckMessage] = []
    if bool(header) != bool(proxies.strip()):
        found.append(
            Warning(
                "Set both CHATBOT_CLIENT_IP_HEADER and CHATBOT_TRUSTED_PROXIES, or neither.",
                hint="Without both, per-address limits count every shopper as the proxy's address.",
                id="chatbot.W007",
            )
        )
    bad = bad_trusted_proxies(proxies)
    if bad:
        found.append(
            Warning(
                f"CHATBOT_TRUSTED_PROXIES has entries that are not addresses or networks: {', '.join(bad)}.",
                id="chatbot.W007",
            )
        )
    return found
