"""The memory hub's replay buffer: what a browser that reconnects is given, and what the
process keeps (a reply's deltas only while the reply runs)."""

import gc
import tracemalloc
from decimal import Decimal

from chatbot.engines.local.hub import REPLAY_EVENTS, MemoryHub


def publish_reply(hub: MemoryHub, conversation_id: int, reply_id: int, deltas: int) -> list[str]:
    ids = [hub.publish(conversation_id, "reply.thinking", {"messageId": reply_id}).id]
    for i in range(deltas):
        ids.append(hub.publish(conversation_id, "reply.delta", {"messageId": reply_id, "text": f"{i} "}).id)
    return ids


def test_a_running_reply_resumes_from_its_deltas():
    hub = MemoryHub()
    ids = publish_reply(hub, 7, reply_id=70, deltas=5)
    resumed = hub.replay(7, ids[2])
    assert [e.data.get("text") for e in resumed] == ["2 ", "3 ", "4 "]


def test_a_finished_reply_keeps_its_final_message_not_its_deltas():
    hub = MemoryHub()
    ids = publish_reply(hub, 7, reply_id=70, deltas=5)
    final = {"id": 70, "text": "0 1 2 3 4 ", "status": "done"}
    hub.publish(7, "reply.done", {"message": final})
    # A browser that saw two deltas and reconnects gets the whole message, once.
    assert [(e.type, e.data) for e in hub.replay(7, ids[2])] == [("reply.done", {"message": final})]
    kept = hub.replay(7, "0-0")
    assert [e.type for e in kept] == ["reply.thinking", "reply.done"]


def test_only_the_finished_replys_deltas_go():
    hub = MemoryHub()
    publish_reply(hub, 7, reply_id=70, deltas=3)
    publish_reply(hub, 7, reply_id=71, deltas=2)  # another reply of the conversation, running
    publish_reply(hub, 8, reply_id=70, deltas=2)  # another conversation's buffer
    hub.publish(7, "reply.failed", {"message": {"id": 70, "text": "0 1 ", "status": "interrupted"}})
    texts = [(e.type, e.data.get("messageId")) for e in hub.replay(7, "0-0")]
    assert ("reply.delta", 70) not in texts
    assert texts.count(("reply.delta", 71)) == 2
    assert [e.type for e in hub.replay(8, "0-0")].count("reply.delta") == 2


def test_the_buffer_stays_bounded():
    hub = MemoryHub()
    publish_reply(hub, 7, reply_id=70, deltas=REPLAY_EVENTS + 50)
    kept = hub.replay(7, "0-0")
    assert len(kept) == REPLAY_EVENTS
    # The newest, whole and in order: the oldest went out event by event, not field by field.
    assert [e.data for e in kept] == [
        {"messageId": 70, "text": f"{i} "} for i in range(50, REPLAY_EVENTS + 50)
    ]
    assert all(e.type == "reply.delta" for e in kept)


def test_keeping_an_event_allocates_nothing_the_garbage_collector_tracks():
    # The collector starts a young collection after so many new tracked objects: a kept
    # tuple (or Event) per delta started one about every quarter second at 1,000 streaming
    # replies, each walking every stream's in-flight objects (chatbot/engines/local/hub.py).
    hub = MemoryHub()
    publish_reply(hub, 7, reply_id=70, deltas=5)  # the conversation's buffer exists
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        publish_reply(hub, 7, reply_id=70, deltas=300)
        grown = len(gc.get_objects()) - before
    finally:
        gc.enable()
    assert grown < 10, f"{grown} tracked objects kept for 300 events"
    assert len(hub.replay(7, "0-0")) == 6 + 301  # all kept: two replies of a thinking and deltas


def test_a_kept_event_holds_about_its_own_size():
    # orjson's output is its whole buffer (1 KiB at least, a power of two past that): kept
    # as is, a running reply's 400 deltas held ~400 KiB, and a finished 10 KB reply 128 KiB
    # for an hour (1,000 streaming replies: ~400 MB of the server's memory).
    hub = MemoryHub()
    publish_reply(hub, 7, reply_id=70, deltas=5)  # the conversations' buffers exist
    publish_reply(hub, 8, reply_id=80, deltas=0)
    text = "".join(f"[{i}@1765000000.123456]" for i in range(400))  # a 400-delta reply, ~10 KB
    end = {"message": {"id": 80, "text": text, "status": "done"}}
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        publish_reply(hub, 7, reply_id=70, deltas=400)
        per_delta = (tracemalloc.get_traced_memory()[0] - before) / 400
        before = tracemalloc.get_traced_memory()[0]
        hub.publish(8, "reply.done", end)
        for_the_end = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert per_delta < 250, f"{per_delta:.0f} bytes kept per delta of ~40 bytes of JSON"
    assert for_the_end < 2 * len(text), f"{for_the_end} bytes kept for a reply of {len(text)}"
    (done,) = [e for e in hub.replay(8, "0-0") if e.type == "reply.done"]
    assert done.data == end


def test_a_replayed_event_is_what_the_live_stream_sent():
    hub = MemoryHub()
    live = hub.publish(7, "reply.delta", {"messageId": 70, "text": "héllo <b>"})
    live_bytes = live.sse_bytes
    (replayed,) = hub.replay(7, "0-0")
    assert (replayed.id, replayed.type, replayed.data) == (live.id, live.type, live.data)
    assert replayed.order_key == live.order_key
    assert replayed.sse_bytes == live_bytes


def test_data_the_json_encoder_cannot_take_is_replayed_as_text():
    # As the Redis hub does: the stream sent the value's text, the replay gives the same.
    hub = MemoryHub()
    live = hub.publish(7, "reply.products", {"messageId": 70, "price": Decimal("9.50")})
    (replayed,) = hub.replay(7, "0-0")
    assert replayed.data == {"messageId": 70, "price": "9.50"}
    assert replayed.sse_bytes == live.sse_bytes
