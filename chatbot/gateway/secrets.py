"""Per-shop secrets of the gateway, never stored or shown in clear.

A stored value is one of:

- ``fernet:<token>`` — encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from the
  ``cryptography`` package) under a key derived from ``CHATBOT_GATEWAY_KEY``, or from
  ``SECRET_KEY`` when that is empty (rotating that key makes the stored secrets
  unreadable: enter them again);
- ``env:<NAME>`` — a reference: the secret is the process's environment variable NAME
  (for secrets kept in the platform's secret store, e.g. ``fly secrets``);
- empty — not set.

``describe`` is what admin shows: whether a secret is set and where it lives, never its
value.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from .. import conf

ENV_PREFIX = "env:"
FERNET_PREFIX = "fernet:"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SecretUnavailable(Exception):
    """A stored secret cannot be read (its variable is unset, or the key changed)."""


def _fernet() -> Fernet:
    material = str(conf.get("CHATBOT_GATEWAY_KEY") or settings.SECRET_KEY)
    key = base64.urlsafe_b64encode(hashlib.sha256(b"chatbot.gateway.secrets:" + material.encode()).digest())
    return Fernet(key)


def seal(value: str) -> str:
    """What to store for ``value`` typed into admin: ``env:NAME`` stays a reference,
    anything else is encrypted; empty stays empty."""
    value = value.strip()
    if not value:
        return ""
    if value.startswith(ENV_PREFIX):
        name = value[len(ENV_PREFIX) :].strip()
        if not _ENV_NAME.match(name):
            raise ValueError("env: must be followed by an environment variable name.")
        return ENV_PREFIX + name
    return FERNET_PREFIX + _fernet().encrypt(value.encode()).decode()


def reveal(stored: str) -> str:
    """The secret itself, for signing; empty when not set."""
    if not stored:
        return ""
    if stored.startswith(ENV_PREFIX):
        name = stored[len(ENV_PREFIX) :]
        value = os.environ.get(name, "")
        if not value:
            raise SecretUnavailable(f"The environment variable {name} is not set.")
        return value
    if stored.startswith(FERNET_PREFIX):
        try:
            return _fernet().decrypt(stored[len(FERNET_PREFIX) :].encode()).decode()
        except InvalidToken:
            raise SecretUnavailable(
                "A stored secret cannot be decrypted (CHATBOT_GATEWAY_KEY or SECRET_KEY changed)."
            ) from None
    raise SecretUnavailable("A stored secret has an unknown format.")


def describe(stored: str) -> str:
    if not stored:
        return "not set"
    if stored.startswith(ENV_PREFIX):
        return f"from the environment variable {stored[len(ENV_PREFIX) :]}"
    return "set (stored encrypted)"
