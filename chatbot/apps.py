"""The chatbot app. ``ready()`` registers checks and signals; in a server process (not
tests, not migrate or other commands) it also logs the start-up lines and makes sure the
shop's Stream assistant user exists, in a background thread that never delays start-up.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("chatbot")

_SERVER_PROGRAMS = ("gunicorn", "uvicorn", "daphne", "hypercorn")


def is_server_process(
    argv: list[str] | None = None,
    environ: dict[str, str] | os._Environ[str] | None = None,
    flag: str | None = None,
) -> bool:
    """Whether this process serves requests (then it logs the start-up lines and checks
    Stream). ``CHATBOT_BOOTSTRAP_ON_START`` "1"/"0" decides outright; unset, argv does."""
    from . import conf

    argv = sys.argv if argv is None else argv
    environ = os.environ if environ is None else environ  # RUN_MAIN: Django's autoreloader
    if flag is None:
        flag = str(conf.get("CHATBOT_BOOTSTRAP_ON_START") or "")
    flag = flag.strip().lower()
    if flag in ("1", "true", "yes", "on"):
        return True
    if flag in ("0", "false", "no", "off"):
        return False
    # The script's name, or its package's for `python -m uvicorn` (…/uvicorn/__main__.py).
    program = " ".join(os.path.normpath(argv[0]).split(os.sep)[-2:]) if argv else ""
    if any(name in program for name in _SERVER_PROGRAMS):
        return True
    if len(argv) > 1 and argv[1] == "runserver":
        # The autoreloader imports the project twice; only the child serves requests.
        return environ.get("RUN_MAIN") == "true" or "--noreload" in argv
    return False


def log_startup() -> threading.Thread | None:
    """The seed's start-up lines, in its order; the Stream assistant user is ensured in
    a daemon thread (returned, so a caller may wait for it)."""
    from . import conf

    shop_id = str(conf.get("CHATBOT_SHOP_ID"))
    worker: threading.Thread | None = None
    if conf.stream_enabled():
        logger.info("Chatbot extension with Stream Chat loaded")
        logger.info("Initializing Stream Chat service...")
        try:
            from .engines.stream import client as stream_service

            stream_service.get_client()  # offline: checks the settings and builds the client
        except Exception as exc:
            logger.error("Stream Chat service failed to initialize: %s", exc)
        else:
            logger.info("Stream Chat service initialized successfully")
            worker = threading.Thread(
                target=_ensure_assistant_user, args=(shop_id,), name="chatbot-stream-bootstrap", daemon=True
            )
    else:
        if conf.get("STREAM_CHAT_ENABLED"):
            logger.error(
                "STREAM_CHAT_ENABLED is true but STREAM_CHAT_API_KEY/STREAM_CHAT_API_SECRET are missing; "
                "using the local chat engine"
            )
        logger.info("Chatbot extension loaded with the local chat engine (Stream Chat not enabled)")
    if conf.get("CHATBOT_ENABLED"):
        logger.info("Chatbot enabled for shop: %s", shop_id)
    else:
        logger.info(
            "Chatbot disabled (CHATBOT_ENABLED=false): the widget is hidden and the chat routes answer 503"
        )
    if worker is not None:
        # Started last, so its own line can never cut into the four above.
        worker.start()
    return worker


def _ensure_assistant_user(shop_id: str) -> None:
    from django.db import close_old_connections

    from .engines.stream import client as stream_service

    try:
        user_id = stream_service.ensure_assistant_user(shop_id)
    except Exception as exc:
        logger.error(
            "Stream Chat bootstrap failed: could not create the assistant user of shop %s: %s "
            "(run `python manage.py bootstrap_chatbot` for details)",
            shop_id,
            exc,
        )
    else:
        logger.info("Stream Chat assistant user ready: %s", user_id)
    finally:
        close_old_connections()


class ChatbotConfig(AppConfig):
    name = "chatbot"
    verbose_name = _("Chatbot")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, shop_settings, signin  # noqa: F401  registers checks and signal receivers

        if is_server_process():
            log_startup()
            # Replies a killed predecessor left streaming become interrupted, at once.
            from . import leases

            leases.start_keeper()
