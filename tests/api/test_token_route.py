import pytest
from django.test import Client

from chatbot.models import Conversation

from .conftest import post

URL = "/api/chatbot/stream-chat-token"
SEED_BODY = {"userId": "test-user-123", "userName": "Test User", "userRole": "visitor"}


@pytest.mark.django_db
def test_seed_example_from_a_new_visitor_gets_a_token_for_their_own_new_identity():
    client = Client(enforce_csrf_checks=True)
    response = post(client, URL, {**SEED_BODY, "shop": "acme"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert {"token", "apiKey", "userId", "userName", "engine", "channel", "expiresAt"} <= body.keys()
    assert body["engine"] == "local"
    assert body["userId"] != "test-user-123" and body["userId"].startswith("g")
    assert body["userName"] != "Test User"
    assert body["token"] == ""  # the local engine's stream is authorised by the cookies
    conversation = Conversation.objects.get(chat_user_id=body["userId"])
    assert conversation.shop_id == "acme"
    assert response["X-Chatbot-User"] == body["userId"]
    cookie = response.cookies["sessionid"]  # the guest lives in Django's session
    assert cookie["httponly"]
    assert "chatbot_guest" not in response.cookies


@pytest.mark.django_db
def test_a_known_visitor_naming_someone_else_is_refused(visitor):
    mine = post(visitor, URL, {"shop": "acme"}).json()["userId"]
    again = post(visitor, URL, {"shop": "acme", "userId": mine, "userRole": "visitor"})
    assert again.status_code == 200 and again.json()["userId"] == mine
    other = post(visitor, URL, {"shop": "acme", "userId": "someone-else"})
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "identity_mismatch"
    assert "identity" in other.json()["error"]["message"]


@pytest.mark.django_db
def test_a_visitor_claiming_a_staff_role_is_refused(visitor):
    response = post(visitor, URL, {"shop": "acme", "userRole": "admin"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "identity_mismatch"


@pytest.mark.django_db
def test_signed_in_customer_gets_a_stable_non_identifying_id(visitor, django_user_model):
    user = django_user_model.objects.create_user("ada", "ada@example.com", "pw-12345", first_name="Ada")
    visitor.force_login(user)  # Django's own session sign-in
    first = post(visitor, URL, {"shop": "acme"}).json()
    second = post(visitor, URL, {"shop": "acme"}).json()
    assert first["userId"] == second["userId"] and first["userId"].startswith("c")
    assert str(user.pk) not in first["userId"][1:3]
    assert first["userRole"] == "customer" and first["userName"] == "Ada"
    other_device = Client(enforce_csrf_checks=True)
    other_device.force_login(user)
    assert post(other_device, URL, {"shop": "acme"}).json()["userId"] == first["userId"]


@pytest.mark.django_db
def test_csrf_is_enforced_for_guests():
    client = Client(enforce_csrf_checks=True)
    response = client.post(URL, {"shop": "acme"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


@pytest.mark.django_db
def test_kill_switch_answers_503_with_a_clear_json_error(visitor, settings):
    settings.CHATBOT_ENABLED = False
    for response in (
        post(visitor, URL, {"shop": "acme"}),
        post(visitor, "/api/chatbot/stream-message", {"shop": "acme", "text": "hi", "clientMessageId": "a1"}),
        visitor.get("/api/chatbot/history?shop=acme"),
        visitor.get("/api/chatbot/events?shop=acme"),
    ):
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "chat_disabled"
        assert "switched off" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_per_shop_switch(visitor):
    from chatbot.models import ShopChatSettings

    ShopChatSettings.objects.create(shop_id="acme", enabled=False)
    assert post(visitor, URL, {"shop": "acme"}).status_code == 503
    assert post(visitor, URL, {"shop": "chaye"}).status_code == 200


@pytest.mark.django_db
def test_unknown_shop_is_404(visitor):
    response = post(visitor, URL, {"shop": "nope"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_shop"


@pytest.mark.django_db
def test_openapi_schema_lists_the_routes(client):
    response = client.get("/api/chatbot/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    text = response.content.decode()
    for route in ("/api/chatbot/stream-chat-token", "/api/chatbot/stream-message", "/api/chatbot/history"):
        assert route in text
