"""Coze credentials: a personal access token, or the JWT OAuth service-app flow.

JWT OAuth (what production uses): sign a short RS256 JWT with the app's private key
(header ``kid`` = the public key id; claims ``iss`` = app id, ``aud`` = API host, ``iat``,
``exp``, a fresh ``jti`` — Coze accepts each JWT once), exchange it at
``POST /api/permission/oauth2/token`` for an access token. The answer's ``expires_in`` is
an *absolute* Unix time. There is no refresh token: a new JWT buys a new token.

The token is cached in Django's cache until shortly before it expires so every worker and
every chat shares one exchange. This module is synchronous (requests, the cache): the
async assistant calls it through ``chatbot.offloop.in_thread``, and it reaches Coze once
per token lifetime. Keys and tokens never appear in a log line or an error
message.

Settings, read through ``chatbot.conf.get`` only: ``COZE_API_BASE``, ``COZE_OAUTH_APP_ID``,
``COZE_OAUTH_KEY_ID``, ``COZE_OAUTH_PRIVATE_KEY`` (PEM text; literal ``\\n`` escapes, as
fly secrets often carry them, are accepted) else ``COZE_OAUTH_PRIVATE_KEY_FILE``, and
``COZE_API_TOKEN``. With both complete, OAuth wins: it is the flow meant for servers.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.core.cache import cache

from .. import conf
from ..exceptions import ChatbotImproperlyConfigured
from .http import RETRYABLE_STATUSES, UpstreamError

logger = logging.getLogger("chatbot.assistants.coze")

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_PATH = "/api/permission/oauth2/token"  # noqa: S105 - a URL path, not a secret
# 24 h is Coze's maximum; a long token means one exchange a day per app, shared by all.
DEFAULT_TOKEN_SECONDS = 86399
JWT_SECONDS = 600
# Refresh this long before expiry so a chat never starts with a token about to die.
REFRESH_MARGIN_SECONDS = 300
LAST_SECONDS = 10


class CozeAuth(Protocol):
    def token(self) -> str:
        """A valid access token (may call Coze)."""
        ...

    def invalidate(self, token: str) -> bool:
        """Coze refused ``token``; forget it. True if a new one can be fetched."""
        ...


class PersonalTokenAuth:
    """``COZE_API_TOKEN``: fixed; a refused token cannot be renewed."""

    def __init__(self, token: str) -> None:
        self._token = token

    def token(self) -> str:
        return self._token

    def invalidate(self, token: str) -> bool:
        return False

    def __repr__(self) -> str:
        return "PersonalTokenAuth(<hidden>)"


class JWTOAuth:
    """The service-app JWT flow, with the access token cached across workers."""

    def __init__(
        self,
        *,
        app_id: str,
        key_id: str,
        private_key: RSAPrivateKey | str | bytes,
        api_base: str,
        duration_seconds: int = DEFAULT_TOKEN_SECONDS,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 15.0),
    ) -> None:
        self.app_id = str(app_id)
        self.key_id = str(key_id)
        self._private_key = (
            private_key if isinstance(private_key, RSAPrivateKey) else load_private_key(private_key)
        )
        self.api_base = api_base.rstrip("/")
        self.audience = urlsplit(self.api_base).hostname or self.api_base
        self.duration_seconds = duration_seconds
        # An exchange happens once a day: no session kept for it unless one is given.
        self.session = session
        self.timeout = timeout
        digest = hashlib.sha256(f"{self.api_base}|{self.app_id}|{self.key_id}".encode()).hexdigest()[:16]
        self.cache_key = f"chatbot:coze:access-token:v1:{digest}"
        self._lock = _exchange_lock(self.cache_key)
        # The last token this instance got, usable to the last seconds: a token Coze
        # hands out inside the refresh margin still serves the reply in progress.
        self._memo: tuple[str, float] | None = None

    def __repr__(self) -> str:
        return f"JWTOAuth(app_id={self.app_id!r}, key_id={self.key_id!r}, api_base={self.api_base!r})"

    def token(self) -> str:
        cached = self._cached()
        if cached:
            return cached
        if self._memo and self._memo[1] - LAST_SECONDS > time.time():
            return self._memo[0]
        # One exchange per process and app at a time (assistants are built per reply, so
        # the lock is the process's, not the instance's): a burst of replies after a
        # restart waits for one token instead of each fetching its own. Other processes
        # may race us, which costs an extra exchange at worst (each JWT is unique).
        with self._lock:
            cached = self._cached()
            if cached:
                return cached
            return self._exchange()

    def invalidate(self, token: str) -> bool:
        entry = cache.get(self.cache_key)
        if isinstance(entry, dict) and entry.get("access_token") == token:
            cache.delete(self.cache_key)
        if self._memo and self._memo[0] == token:
            self._memo = None
        return True

    def build_jwt(self, now: int | None = None) -> str:
        issued_at = int(time.time() if now is None else now)
        claims = {
            "iss": self.app_id,
            "aud": self.audience,
            "iat": issued_at,
            "exp": issued_at + JWT_SECONDS,
            "jti": secrets.token_hex(16),
        }
        return jwt.encode(
            claims, self._private_key, algorithm="RS256", headers={"kid": self.key_id, "typ": "JWT"}
        )

    def _cached(self) -> str | None:
        entry = cache.get(self.cache_key)
        if not isinstance(entry, dict):
            return None
        if float(entry.get("expires_at", 0)) - REFRESH_MARGIN_SECONDS <= time.time():
            return None
        return str(entry["access_token"])

    def _exchange(self) -> str:
        url = self.api_base + TOKEN_PATH
        try:
            response = (self.session or requests).post(
                url,
                json={"grant_type": GRANT_TYPE, "duration_seconds": self.duration_seconds},
                headers={"Authorization": f"Bearer {self.build_jwt()}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise UpstreamError(
                "Could not reach Coze to get an access token.",
                vendor="Coze",
                code="connection_error",
                retryable=True,
            ) from exc
        payload = _json_or_none(response)
        logid = response.headers.get("x-tt-logid", "")
        if response.status_code >= 400 or not isinstance(payload, dict) or not payload.get("access_token"):
            error_code = ""
            error_text = ""
            if isinstance(payload, dict):
                error_code = str(payload.get("error_code") or payload.get("code") or "")
                error_text = str(payload.get("error_message") or payload.get("msg") or "")
            hint = " Check COZE_OAUTH_APP_ID, COZE_OAUTH_KEY_ID, the key pair and COZE_API_BASE's region."
            raise UpstreamError(
                f"Coze refused the OAuth token exchange (HTTP {response.status_code}"
                + (f", {error_code}: {error_text}" if error_code else "")
                + ")."
                + (hint if error_code == "invalid_client" or response.status_code in (400, 401, 403) else ""),
                vendor="Coze",
                status_code=response.status_code,
                code=error_code or None,
                retryable=error_code == "internal_error"
                or response.status_code in RETRYABLE_STATUSES
                or response.status_code >= 500,
                logid=logid,
            )
        access_token = str(payload["access_token"])
        expires_at = _absolute_expiry(payload.get("expires_in"))
        self._memo = (access_token, expires_at)
        lifetime = int(expires_at - time.time() - REFRESH_MARGIN_SECONDS)
        if lifetime > 0:
            cache.set(self.cache_key, {"access_token": access_token, "expires_at": expires_at}, lifetime)
        logger.info("Coze access token obtained (expires at %d, logid=%s)", int(expires_at), logid or "-")
        return access_token


def _absolute_expiry(value: Any) -> float:
    """Coze documents ``expires_in`` as a Unix time. Should a server ever send a
    duration instead (small number), read it as one rather than as 1970."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return time.time() + 900
    if number < 10**9:
        return time.time() + number
    return number


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def load_private_key(pem: str | bytes) -> RSAPrivateKey:
    """Parse a PEM RSA private key; errors never quote the key."""
    return _load_private_key(pem.decode() if isinstance(pem, bytes) else pem)


@lru_cache(maxsize=4)
def _load_private_key(text: str) -> RSAPrivateKey:
    # Cached: an assistant is built for every reply and checking an RSA key costs
    # milliseconds.
    text = text.strip().strip('"').strip("'").replace("\\r\\n", "\n").replace("\\n", "\n")
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ChatbotImproperlyConfigured(
            "The Coze OAuth private key is not a readable PEM private key (COZE_OAUTH_PRIVATE_KEY / "
            "COZE_OAUTH_PRIVATE_KEY_FILE)."
        ) from exc
    if not isinstance(key, RSAPrivateKey):
        raise ChatbotImproperlyConfigured("The Coze OAuth private key must be an RSA key (RS256).")
    return key


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _exchange_lock(cache_key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(cache_key, threading.Lock())


def auth_from_settings(session: requests.Session | None = None) -> CozeAuth:
    app_id = conf.get("COZE_OAUTH_APP_ID")
    key_id = conf.get("COZE_OAUTH_KEY_ID")
    pem = conf.get("COZE_OAUTH_PRIVATE_KEY")
    pem_file = conf.get("COZE_OAUTH_PRIVATE_KEY_FILE")
    if app_id and key_id and (pem or pem_file):
        if not pem:
            try:
                pem = Path(pem_file).read_text()
            except OSError as exc:
                raise ChatbotImproperlyConfigured(
                    f"COZE_OAUTH_PRIVATE_KEY_FILE cannot be read ({exc.strerror})."
                ) from exc
        return JWTOAuth(
            app_id=app_id,
            key_id=key_id,
            private_key=pem,
            api_base=conf.get("COZE_API_BASE"),
            session=session,
        )
    token = conf.get("COZE_API_TOKEN")
    if token:
        return PersonalTokenAuth(token)
    raise ChatbotImproperlyConfigured(
        "The Coze assistant needs COZE_OAUTH_APP_ID, COZE_OAUTH_KEY_ID and COZE_OAUTH_PRIVATE_KEY "
        "(or COZE_OAUTH_PRIVATE_KEY_FILE), or COZE_API_TOKEN."
    )
