"""Sessions in the database, read with one prepared statement instead of a query set.

``SESSION_ENGINE`` without ``REDIS_URL`` (one process: the embedded default, the demo, the
concurrency bench). Every request reads its session, and Django's database engine builds
a query set for it each time (``Session.objects.get(session_key=…, expire_date__gt=now)``):
filter, SQL compiler, a model instance. Measured over 2,000 token calls in-process (py-spy,
SQLite), that read was 45 % of the call's time in its thread, the query set's own work
about half of it, and the token route is the one a page's chat calls while replies stream
on the same event loop (bench/concurrency.py: its p99 is the criterion the chat misses at
1,000 streaming replies). This reads the same row with the same condition as one
statement, its text made once per database; writes, deletes, ``exists`` and everything
else are Django's.

Why not a cached copy (Django's ``cached_db`` on the process's memory): a session deleted
by another process (``manage.py shell``, ``clearsessions``, the admin) would stay alive in
this process's copy (config/sessions.py says more); the row is read every time here too.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.db import connections, router
from django.utils import timezone


@lru_cache(maxsize=8)
def _select(alias: str, model: Any) -> str:
    """``SELECT session_data … WHERE session_key = %s AND expire_date > %s`` with the
    model's table and column names, quoted by the database's backend."""
    quote = connections[alias].ops.quote_name
    meta = model._meta

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    return (
        f"SELECT {column('session_data')} FROM {quote(meta.db_table)} "  # noqa: S608 - names from the model
        f"WHERE {column('session_key')} = %s AND {column('expire_date')} > %s"
    )


class SessionStore(DatabaseStore):
    def load(self) -> dict[str, Any]:
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_select(alias, self.model), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's: a missing or expired session is a new one
            return {}
        return self.decode(row[0])  # Django's: data that fails its signature is an empty session
