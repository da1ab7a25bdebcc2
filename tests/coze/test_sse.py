"""chatbot.sse against the recorded Coze and OpenAI streams, fed in every way a network
can deliver them."""

import pytest

from chatbot.sse import SSEDecoder, SSEEvent, iter_sse, iter_sse_lines

from .conftest import FIXTURES

OPENAI = FIXTURES.parent / "openai"


def events_of(data: bytes, size: int) -> list[SSEEvent]:
    return list(iter_sse(data[i : i + size] for i in range(0, len(data), size)))


@pytest.mark.parametrize("name", ["chat_text_stream.sse", "chat_tolerance.sse", "chat_requires_action.sse"])
def test_any_chunking_gives_the_same_events(name):
    data = (FIXTURES / name).read_bytes()
    whole = events_of(data, len(data))
    for size in (1, 2, 3, 5, 64):
        assert events_of(data, size) == whole


def test_coze_stream_without_space_after_colon():
    events = events_of((FIXTURES / "chat_text_stream.sse").read_bytes(), 4096)
    assert [e.event for e in events][:3] == [
        "conversation.chat.created",
        "conversation.chat.in_progress",
        "conversation.message.delta",
    ]
    assert events[2].json()["content"] == "Our "
    assert events[-1] == SSEEvent(event="done", data='"[DONE]"')


def test_comments_space_crlf_and_a_last_event_without_blank_line():
    events = events_of((FIXTURES / "chat_tolerance.sse").read_bytes(), 4096)
    names = [e.event for e in events]
    assert names[0] == "conversation.chat.created"  # "event: name" with a space
    assert "conversation.some_future_event" in names
    assert names[-1] == "done" and events[-1].data == "[DONE]"
    assert all(not e.data.startswith(" ") for e in events)


def test_openai_data_only_stream():
    events = events_of((OPENAI / "stream_text.sse").read_bytes(), 11)
    assert {e.event for e in events} == {"message"}
    assert events[-1].data == "[DONE]"


def test_multi_line_data_id_retry_and_unknown_fields():
    decoder = SSEDecoder()
    out = decoder.feed("id: 7\nretry: 1500\nfoo: bar\ndata: line one\ndata:line two\n\n")
    assert out == [SSEEvent(event="message", data="line one\nline two", id="7", retry=1500)]


def test_cr_line_ends_split_across_chunks():
    decoder = SSEDecoder()
    assert decoder.feed(b"event:a\rdata:1\r") == []
    assert decoder.feed(b"\n\r\n") == [SSEEvent(event="a", data="1")]
    assert decoder.feed(b"event:b\rdata:2\r\r") == [SSEEvent(event="b", data="2")]


def test_utf8_character_split_between_chunks():
    data = "event:conversation.message.delta\ndata:星期三\n\n".encode()
    cut = data.index("期".encode()) + 1
    decoder = SSEDecoder()
    assert decoder.feed(data[:cut]) == []
    assert decoder.feed(data[cut:]) == [SSEEvent(event="conversation.message.delta", data="星期三")]


def test_blank_lines_alone_dispatch_nothing():
    assert list(iter_sse([b"\n\n: ping\n\n\n"])) == []


def test_iter_lines_input():
    lines = (FIXTURES / "chat_text_stream.sse").read_bytes().splitlines()
    assert list(iter_sse_lines(lines)) == events_of((FIXTURES / "chat_text_stream.sse").read_bytes(), 4096)
