import pytest

from chatbot.models import Message

from .conftest import post

URL = "/api/chatbot/stream-message"


def send(client, text="hello", cid="m-1", shop="acme"):
    return post(client, URL, {"shop": shop, "text": text, "clientMessageId": cid})


@pytest.mark.django_db
def test_message_is_stored_before_202_and_answered(visitor, assistant):
    response = send(visitor, "Do you have tents?")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["message"]["text"] == "Do you have tents?"
    assert body["message"]["role"] == "shopper"
    reply = Message.objects.get(pk=body["reply"]["id"])
    assert reply.status == "done"
    assert reply.text == "You said: Do you have tents?"
    assert reply.products[0]["sku"] == "TENT-2"
    # The fake assistant yields a plain string: it becomes an "ask" chip.
    assert reply.quick_replies == [{"label": "Shipping?", "action": {"type": "ask"}}]


@pytest.mark.django_db
def test_same_client_message_id_twice_stores_one_message(visitor, assistant):
    first = send(visitor, "hi", "dup-1")
    second = send(visitor, "hi", "dup-1")
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json()["message"]["id"] == first.json()["message"]["id"]
    assert Message.objects.filter(role="shopper").count() == 1
    assert Message.objects.filter(role="assistant").count() == 1


@pytest.mark.django_db
def test_failed_reply_is_visible_and_retry_with_same_id_answers(visitor, assistant):
    assistant("failing")
    response = send(visitor, "hi", "r-1")
    assert response.status_code == 202
    failed = Message.objects.get(pk=response.json()["reply"]["id"])
    assert failed.status == "failed"
    assert "try again" in failed.text
    assert "5000" not in failed.text  # upstream details stay in the logs
    assistant("echo")
    retry = send(visitor, "hi", "r-1")
    assert retry.status_code == 202
    assert retry.json()["reply"]["id"] != failed.pk
    assert Message.objects.get(pk=retry.json()["reply"]["id"]).status == "done"
    assert Message.objects.filter(role="shopper").count() == 1


@pytest.mark.django_db
def test_text_over_the_limit_gets_413_and_nothing_is_stored(visitor, assistant):
    response = send(visitor, "x" * 4001)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "message_too_long"
    assert "4000" in response.json()["error"]["message"]
    assert not Message.objects.exists()
    assert send(visitor, "x" * 4000, "ok-1").status_code == 202


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   ", "\x00\x01\x07"])
def test_empty_or_control_only_text_is_400(visitor, assistant, text):
    response = send(visitor, text)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.django_db
def test_control_characters_are_dropped_and_emoji_kept(visitor, assistant):
    response = send(visitor, "hi\x00 there 👍🏽\n")
    assert response.status_code == 202
    assert response.json()["message"]["text"] == "hi there 👍🏽\n"


@pytest.mark.django_db
def test_bad_client_message_id_and_malformed_json_are_clear_400s(visitor, assistant):
    bad_id = post(visitor, URL, {"shop": "acme", "text": "hi", "clientMessageId": "<script>"})
    assert bad_id.status_code == 400
    assert "clientMessageId" in bad_id.json()["error"]["message"]
    from .conftest import csrf_headers

    broken = visitor.post(URL, "{not json", content_type="application/json", **csrf_headers(visitor))
    assert broken.status_code == 400
    assert broken.json()["error"]["code"] == "invalid_json"


@pytest.mark.django_db
def test_rate_limit_answers_429_with_retry_after(visitor, assistant, settings):
    settings.CHATBOT_RATE_LIMIT = 3
    codes = [send(visitor, f"m{i}", f"id-{i}").status_code for i in range(4)]
    assert codes == [202, 202, 202, 429]
    limited = send(visitor, "again", "id-9")
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"


@pytest.mark.django_db
def test_csrf_is_enforced_on_messages(visitor, assistant):
    response = visitor.post(
        URL, {"shop": "acme", "text": "hi", "clientMessageId": "c"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_handoff_pauses_the_assistant(visitor, monkeypatch):
    from chatbot.assistants.base import ShopAssistant
    from chatbot.vocabulary import FinalReply, HandoffRequested, TextDelta

    class Handing(ShopAssistant):
        def reply(self, context):
            yield HandoffRequested("asked")
            yield TextDelta("A person will take over.")
            yield FinalReply("A person will take over.", intent="handoff", handoff=True)

    monkeypatch.setattr("chatbot.pipeline.assistant_for_shop", lambda shop_id: Handing())
    first = send(visitor, "human please", "h-1")
    assert first.json()["reply"]["handoff"] is True
    second = send(visitor, "hello?", "h-2")
    assert second.status_code == 202
    assert second.json()["reply"]["role"] == "system"  # acknowledged, assistant quiet
    assert Message.objects.filter(role="assistant").count() == 1


@pytest.mark.django_db
def test_a_reply_that_declined_is_stored_as_declined(visitor, monkeypatch):
    from chatbot.assistants.base import ShopAssistant
    from chatbot.vocabulary import FinalReply

    class Declining(ShopAssistant):
        def reply(self, context):  # type: ignore[no-untyped-def]
            yield FinalReply("I couldn't find that.", intent="product_search", declined=True)

    monkeypatch.setattr("chatbot.pipeline.assistant_for_shop", lambda shop_id: Declining())
    reply = Message.objects.get(pk=send(visitor, "Do you sell cars?").json()["reply"]["id"])
    assert (reply.status, reply.declined) == ("done", True)
