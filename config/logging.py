"""Log records as one JSON object per line, for fly's log shipping and anything that greps
it (``LOG_FORMAT=json``; the demo keeps the readable plain format).

Each line has ``time``, ``level``, ``logger``, ``message``, ``request_id`` and every field a
caller passed with ``extra={...}``, so ``logger.info("reply done", extra={"shop": ...})``
becomes a field to filter on rather than text to parse.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from config.request_id import get_request_id

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", logging.INFO, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "request_id", "taskName"}
)


class RequestIdFilter(logging.Filter):
    """Stamps the current request's id on the record, so plain format strings can use
    ``%(request_id)s`` too. Records logged outside a request get ``-``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = get_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or get_request_id()
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id if request_id and request_id != "-" else None,
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack_info"] = self.formatStack(record.stack_info)
        # default=str: an extra field we cannot encode (a model, a Decimal) must not cost
        # the log line.
        return json.dumps(payload, ensure_ascii=False, default=str)
