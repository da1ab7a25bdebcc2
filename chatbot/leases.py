"""No reply is ever stuck: every reply being written has an owner and a lease.

A reply is owned by the process that queued it (``lease_owner``) until ``lease_until``.
Each process renews the leases of the replies it is running three times per lease with one
UPDATE (``keep_leases``), so a slow upstream does not make a healthy reply look dead. A
process killed mid-reply stops renewing; within ``CHATBOT_REPLY_LEASE_SECONDS`` its
replies lapse, and the next ``sweep`` (at start-up and at every renewal, on every
process) marks them ``interrupted``: the partial text the shopper saw stays (the pipeline
checkpoints it), the widget shows it with a retry button, and resending the same
``clientMessageId`` retries it. Every transition is a conditional UPDATE, so two processes
sweeping at once, or a sweep racing the reply's own end, change a reply once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache

from django.db import close_old_connections, connection, transaction
from django.db.models import Field, Q
from django.utils import timezone

from . import conf
from .models import Message

logger = logging.getLogger("chatbot.leases")


def lease_seconds() -> int:
    return max(3, int(conf.get("CHATBOT_REPLY_LEASE_SECONDS")))


def renew_seconds() -> float:
    """Renewals come three times per lease, so one slow renewal never lapses a lease."""
    return lease_seconds() / 3


UNFINISHED = (Message.Status.PENDING, Message.Status.STREAMING)
INTERRUPTED_TEXT = {
    "en": "This reply was interrupted. Please try again.",
    "zh": "回复被中断了，请重试。",
}


@lru_cache(maxsize=4)
def _owner_for(pid: int) -> str:
    return f"{socket.gethostname()[:40]}:{pid}:{uuid.uuid4().hex[:8]}"


def owner() -> str:
    """This process's name on its leases (a forked worker gets its own)."""
    return _owner_for(os.getpid())


def lease_until() -> datetime:
    return timezone.now() + timedelta(seconds=lease_seconds())


def claim(reply_id: int) -> bool:
    """Move a pending reply to streaming under this process's lease; False if another
    run already took it (or it ended meanwhile)."""
    taken = Message.objects.filter(pk=reply_id, status=Message.Status.PENDING).update(
        status=Message.Status.STREAMING, lease_owner=owner(), lease_until=lease_until()
    )
    return taken == 1


# Checkpointed text waiting for the keeper's next flush: one UPDATE per flush for all
# replies of the process, not one per reply (a thousand replies each writing every 2 s
# starve the connection pool and stall every stream).
_pending_text: dict[int, str] = {}
# How much of each running reply's text this process has stored (characters): the next
# checkpoint sends only what came after. A reply's text only grows while it streams, and
# rewriting it whole every 2 s was most of a flush: 1,000 replies of ~10 KB, 10 MB a flush,
# whose many socket waits each handed the GIL back and forth with the event loop (the token
# route's slowest calls at 1,000 streaming replies all fell in a flush, bench/concurrency.py).
_stored_chars: dict[int, int] = {}
_pending_lock = threading.Lock()
# Each reply queues a checkpoint every 2 s (chatbot.pipeline), on its own clock; the
# keeper writes what is queued eight times as often, so a thousand replies make a steady
# trickle of small statements instead of one large one every 2 s: on a 2-core machine that
# large one kept PostgreSQL busy for up to a third of a second, taking its core from the
# event loop (the token route's slowest calls at 1,000 streaming replies, bench/concurrency.py).
FLUSH_SECONDS = 0.25
FAILURE_LOG_SECONDS = 10.0  # while the database is down: one warning per this many seconds


def checkpoint(reply_id: int, text: str) -> None:
    """Keep what the shopper has seen so far (written within ``FLUSH_SECONDS``)."""
    if _keeper_running():
        with _pending_lock:
            _pending_text[reply_id] = text
    else:  # inline mode, management commands: no keeper, write now
        _write_checkpoints({reply_id: text})


def checkpoint_is_free() -> bool:
    """True when ``checkpoint`` only queues (a keeper flushes it): callable from the loop."""
    return _keeper_running()


def interrupt_own(reply_id: int, text: str, language: str) -> Message | None:
    """This process gives up a reply it is running (shutdown): it ends ``interrupted``
    with the text the shopper saw, retryable. None if it had ended meanwhile."""
    forget(reply_id)
    changed = Message.objects.filter(pk=reply_id, status__in=UNFINISHED, lease_owner=owner()).update(
        status=Message.Status.INTERRUPTED,
        error_code="interrupted",
        text=text or INTERRUPTED_TEXT["zh" if language.startswith("zh") else "en"],
        lease_owner="",
        lease_until=None,
        updated_at=timezone.now(),
    )
    if changed != 1:
        return None
    logger.warning("Reply %s was interrupted: this process is shutting down", reply_id)
    return Message.objects.select_related("conversation").get(pk=reply_id)


def forget(reply_id: int) -> None:
    """The reply ended: its final save wins over any checkpoint still queued."""
    with _pending_lock:
        _pending_text.pop(reply_id, None)
        _stored_chars.pop(reply_id, None)


def flush_checkpoints() -> int:
    with _pending_lock:
        batch = dict(_pending_text)
        _pending_text.clear()
        stored = {pk: _stored_chars.get(pk) for pk in batch}
    if not batch:
        return 0
    try:
        written, unmatched = _write_checkpoints(batch, stored)
    except Exception:
        with _pending_lock:  # unknown what was stored: the next checkpoint writes it whole
            for pk in batch:
                _stored_chars.pop(pk, None)
        raise
    with _pending_lock:
        # Kept: the replies just written and those queued since. A reply that ended drops
        # out at the next flush (forget() may have run while this one was on the wire).
        kept = {pk: n for pk, n in _stored_chars.items() if pk in _pending_text}
        kept.update((pk, len(full)) for pk, full in batch.items() if pk not in unmatched)
        _stored_chars.clear()
        _stored_chars.update(kept)
    return written


# Rows per statement: well under SQLite's 32,766 parameters (3 a row).
CHECKPOINT_ROWS = 500


def _write_checkpoints(
    batch: dict[int, str], stored: dict[int, int | None] | None = None
) -> tuple[int, set[int]]:
    """Writes the batch in one transaction; returns the rows written and the replies whose
    next checkpoint must be whole.

    On PostgreSQL and SQLite one statement per ``CHECKPOINT_ROWS`` replies: a reply whose
    stored length is known (``stored``) gets only its new text appended, and only if the
    row still has that length; the others get their whole text. One statement, not one per
    reply (``executemany``): each of the driver's waits for the database hands the GIL
    back and forth with the event loop that streams these very replies, and a thousand
    such waits every two seconds were the token route's slowest calls at 1,000 streaming
    replies (bench/concurrency.py). Other databases get the whole text per reply."""
    stored = stored or {}
    meta = Message._meta
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        field = meta.get_field(name)
        assert isinstance(field, Field) and field.column
        return quote(field.column)

    until = meta.get_field("lease_until").get_db_prep_value(lease_until(), connection)
    now = meta.get_field("updated_at").get_db_prep_value(timezone.now(), connection)
    streaming = Message.Status.STREAMING.value
    table, pk_col, text, status = quote(meta.db_table), column("id"), column("text"), column("status")
    # Names from the model, quoted by the backend; every value is a parameter. Only replies
    # still streaming: one that finished meanwhile keeps its final text.
    head = f"UPDATE {table} SET "  # noqa: S608
    times = f"{column('lease_until')} = %s, {column('updated_at')} = %s"
    if not _one_statement_updates():
        rows = [(full, until, now, pk, streaming) for pk, full in batch.items()]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(f"{head}{text} = %s, {times} WHERE {pk_col} = %s AND {status} = %s", rows)
            return max(0, cursor.rowcount), set()

    items: list[tuple[int, str, int | None]] = []
    for pk, full in batch.items():
        known = stored.get(pk)
        if known is not None and 0 < known <= len(full):
            items.append((pk, full[known:], known))  # appended if the row holds `known` characters
        else:
            items.append((pk, full, None))
    row = "(CAST(%s AS BIGINT), CAST(%s AS TEXT), CAST(%s AS BIGINT))"
    written: set[int] = set()
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(items), CHECKPOINT_ROWS):
            chunk = items[start : start + CHECKPOINT_ROWS]
            # VALUES columns are column1.. on both databases. LENGTH counts characters on
            # both, as len() does.
            sql = (
                f"{head}{text} = CASE WHEN v.column3 IS NULL THEN v.column2 "
                f"ELSE {table}.{text} || v.column2 END, {times} "
                f"FROM (VALUES {','.join([row] * len(chunk))}) AS v "
                f"WHERE {table}.{pk_col} = v.column1 AND {table}.{status} = %s "
                f"AND (v.column3 IS NULL OR LENGTH({table}.{text}) = v.column3) "
                f"RETURNING {table}.{pk_col}"
            )
            cursor.execute(sql, [until, now, *(value for item in chunk for value in item), streaming])
            written.update(pk for (pk,) in cursor.fetchall())
    # Not written: finished (expected), or its text is not what this process wrote (a reply
    # never rewrites it, but the rule is cheap to keep): the next checkpoint writes it whole.
    return len(written), set(batch) - written


def _one_statement_updates() -> bool:
    """UPDATE … FROM (VALUES …) RETURNING: PostgreSQL, and SQLite from 3.35."""
    if connection.vendor == "postgresql":
        return True
    if connection.vendor == "sqlite":
        return bool(getattr(connection, "Database").sqlite_version_info >= (3, 35))  # noqa: B009
    return False


def keep_leases(running: Iterable[int]) -> int:
    """Renew the leases of the replies this process is running (one UPDATE).

    ``running``: the reply loop's tasks (``runtime.running()``), not every unfinished reply
    this process owns. A reply whose task ended without ending it (seen once while every
    database connection was being killed, bench/faults.py's "db" phase) then lapses and is
    swept like a killed process's, instead of being renewed forever as pending."""
    ids = list(running)
    if not ids:
        return 0
    return Message.objects.filter(pk__in=ids, lease_owner=owner(), status__in=UNFINISHED).update(
        lease_until=lease_until()
    )


def _lapsed_q() -> Q:
    """Unfinished replies nobody is keeping alive, as a query (the one definition the
    sweep and every conditional transition below use; ``lapsed`` is its in-memory twin)."""
    now = timezone.now()
    return Q(status__in=UNFINISHED) & (
        Q(lease_until__lt=now)
        | Q(lease_until__isnull=True, updated_at__lt=now - timedelta(seconds=lease_seconds()))
    )


def lapsed(reply: Message) -> bool:
    """An unfinished reply nobody is keeping alive."""
    if reply.status not in UNFINISHED:
        return False
    now = timezone.now()
    if reply.lease_until is not None:
        return reply.lease_until < now
    return reply.updated_at < now - timedelta(seconds=lease_seconds())  # from before leases


def interrupt(reply: Message) -> bool:
    """Mark a lapsed reply interrupted and show it; False if it was not lapsed (or another
    process got there first)."""
    from .engines import get_engine

    if not lapsed(reply):
        return False
    language = "zh" if (reply.conversation.language or "").startswith("zh") else "en"
    text = reply.text or INTERRUPTED_TEXT[language]
    gone = reply.lease_owner or "unknown"
    changed = Message.objects.filter(_lapsed_q(), pk=reply.pk).update(
        status=Message.Status.INTERRUPTED,
        error_code="interrupted",
        text=text,
        lease_owner="",
        lease_until=None,
        updated_at=timezone.now(),
    )
    if changed != 1:
        return False
    reply.refresh_from_db()
    logger.warning("Reply %s was interrupted (owner %s gone)", reply.pk, gone)
    try:
        get_engine().open_reply(reply.conversation, reply).fail(text, retryable=True, code="interrupted")
    except Exception:
        logger.exception("Could not show the interruption of reply %s", reply.pk)
    return True


def sweep() -> list[int]:
    """Interrupt every reply whose lease lapsed; returns their ids."""
    rows = Message.objects.select_related("conversation").filter(_lapsed_q(), role=Message.Role.ASSISTANT)
    return [reply.pk for reply in rows if interrupt(reply)]


class _Keeper(threading.Thread):
    """One per process: renews this process's leases and sweeps for dead ones."""

    def __init__(self) -> None:
        super().__init__(name="chatbot-leases", daemon=True)
        self.wake = threading.Event()
        self.pid = os.getpid()  # a forked worker inherits this object but not the thread

    def run(self) -> None:
        renewed = 0.0
        warned = -FAILURE_LOG_SECONDS
        while True:
            try:
                flush_checkpoints()
                if time.monotonic() - renewed >= renew_seconds():
                    renewed = time.monotonic()
                    from . import runtime

                    keep_leases(runtime.running())
                    swept = sweep()
                    if swept:
                        logger.info("Interrupted %d reply(ies) whose process had gone", len(swept))
            except Exception:
                if time.monotonic() - warned >= FAILURE_LOG_SECONDS:  # not 4 tracebacks a second
                    warned = time.monotonic()
                    logger.warning("Lease keeping failed; trying again shortly", exc_info=True)
            finally:
                if not connection.in_atomic_block:
                    close_old_connections()
                    connection.close()
            self.wake.wait(FLUSH_SECONDS)


_keeper: _Keeper | None = None
_keeper_lock = threading.Lock()


def _keeper_running() -> bool:
    keeper = _keeper
    return keeper is not None and keeper.is_alive() and keeper.pid == os.getpid()


def start_keeper() -> None:
    """Start this process's keeper once (its first sweep runs at once: start-up)."""
    global _keeper
    with _keeper_lock:
        if _keeper_running():
            return
        _keeper = _Keeper()
        _keeper.start()


def stop_orphan(reply: Message) -> bool:
    """The shopper pressed stop on a reply nobody is writing any more: end it now, as
    stopped, with what it had (a live reply ends through the stop flag instead)."""
    from .engines import get_engine
    from .vocabulary import FinalReply

    if not lapsed(reply):
        return False
    changed = Message.objects.filter(_lapsed_q(), pk=reply.pk).update(
        status=Message.Status.STOPPED, lease_owner="", lease_until=None, updated_at=timezone.now()
    )
    if changed != 1:
        return False
    reply.refresh_from_db()
    try:
        get_engine().open_reply(reply.conversation, reply).finish(FinalReply(text=reply.text), stopped=True)
    except Exception:
        logger.exception("Could not show that reply %s stopped", reply.pk)
    return True
