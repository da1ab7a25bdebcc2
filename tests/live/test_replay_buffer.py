"""The memory hub's replay buffer: what a browser that reconnects is given, and what the
process keeps (a reply's deltas only while the reply runs)."""

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
    assert len(hub.replay(7, "0-0")) == REPLAY_EVENTS
