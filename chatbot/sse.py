"""Server-sent events, parsed incrementally.

Vendors bend the format: Coze writes ``event:name`` with no space after the colon and may
end its stream without the final blank line; OpenAI-compatible servers write
``data: {...}`` lines only. The parser follows the WHATWG rules (one optional space after
the colon, ``:`` comments, multi-line ``data`` joined with newlines, any of CRLF/LF/CR as
line end) and adds the tolerance vendors need: an event still pending when the stream
ends is dispatched rather than dropped.

``SSEDecoder.feed`` takes bytes or text in arbitrary pieces (a network chunk may split a
line, or a UTF-8 character) and returns the events completed so far, so a reader can act
on each event the moment its blank line arrives.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

# CRLF first so it counts as one line end, not as CR then an empty line.
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class SSEEvent:
    event: str  # "message" when the server named none
    data: str
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        return json.loads(self.data)


def json_object(data: str) -> dict[str, Any]:
    """An event's data as a JSON object; ``{}`` when it is not one (vendors send odd
    payloads on errors, and a parser must not die on them)."""
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class SSEDecoder:
    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None
        self._retry: int | None = None
        self._has_fields = False
        # A chunk ending in "\r" may be the first half of "\r\n": hold the line back.
        self._pending_cr = False

    def feed(self, chunk: bytes | str) -> list[SSEEvent]:
        text = self._utf8.decode(chunk) if isinstance(chunk, bytes) else chunk
        if not text:
            return []
        if self._pending_cr:
            self._pending_cr = False
            if text.startswith("\n"):
                text = text[1:]
        buffer = self._buffer + text
        events: list[SSEEvent] = []
        position = 0
        for match in _LINE_END.finditer(buffer):
            event = self._line(buffer[position : match.start()])
            position = match.end()
            if event is not None:
                events.append(event)
        self._pending_cr = position == len(buffer) and buffer.endswith("\r")
        self._buffer = buffer[position:]
        return events

    def close(self) -> list[SSEEvent]:
        """End of stream: dispatch what is pending (a last line without a newline, an
        event without its blank line)."""
        tail = self._utf8.decode(b"", final=True)
        events = self.feed(tail) if tail else []
        if self._buffer:
            line, self._buffer = self._buffer, ""
            event = self._line(line)
            if event is not None:
                events.append(event)
        event = self._dispatch()
        if event is not None:
            events.append(event)
        return events

    def _line(self, line: str) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry":
            # ASCII digits only ("²".isdigit() is true, int("²") raises), and few of them
            # (int() refuses strings of more than 4,300 digits).
            if value.isascii() and value.isdigit() and len(value) <= 10:
                self._retry = int(value)
        else:
            return None  # unknown field: ignored, as the spec says
        self._has_fields = True
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self._has_fields:
            return None
        # Unlike browsers we keep data-less events: Coze may send "event:done" alone.
        event = SSEEvent(
            event=self._event or "message", data="\n".join(self._data), id=self._id, retry=self._retry
        )
        self._event, self._data, self._retry, self._has_fields = "", [], None, False
        return event


def iter_sse(chunks: Iterable[bytes | str]) -> Iterator[SSEEvent]:
    """Events from an iterable of raw chunks (``iter_content``, socket reads); chunk
    boundaries may fall anywhere."""
    decoder = SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.close()


def iter_sse_lines(lines: Iterable[bytes | str]) -> Iterator[SSEEvent]:
    """Events from ``response.iter_lines()``, which strips line ends."""
    decoder = SSEDecoder()
    for line in lines:
        yield from decoder.feed(line + b"\n" if isinstance(line, bytes) else line + "\n")
    yield from decoder.close()
