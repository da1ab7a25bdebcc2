"""A shop owner configures a shop on the gateway in the real admin: secrets go in and are
never shown back; usage counters are visible."""

import pytest

from chatbot.gateway import secrets
from chatbot.models import GatewayShop

pytestmark = pytest.mark.urls("tests.gateway.urls")


@pytest.fixture(autouse=True)
def gateway_role(settings):
    settings.CHATBOT_ROLE = "gateway"


SECRET = "typed-secret-0e9b5c77"


def form(**overrides):
    data = {
        "shop_id": "harbor",
        "name": "Harbor Goods",
        "active": "on",
        "rate_limit": "30",
        "secret": SECRET,
        "tool_secret": "env:HARBOR_TOOL_SECRET",
        "allowed_origins": "https://harbor.example\nhttps://www.harbor.example",
        "assistant": "openai",
        "openai_base_url": "http://127.0.0.1:11434/v1",
        "openai_model": "qwen2.5:7b-instruct",
        "openai_api_key": "sk-harbor-key-123456",
        "coze_api_base": "https://api.coze.cn",
        "coze_bot_id": "",
        "coze_api_token": "",
    }
    data.update(overrides)
    return data


def test_secrets_are_stored_encrypted_or_as_references_and_never_shown(admin_client, monkeypatch):
    response = admin_client.post("/admin/chatbot/gatewayshop/add/", form())
    assert response.status_code == 302, response.content.decode()[:2000]
    shop = GatewayShop.objects.get(shop_id="harbor")
    assert shop.secret.startswith("fernet:") and SECRET not in shop.secret
    assert shop.reveal("secret") == SECRET
    assert shop.tool_secret == "env:HARBOR_TOOL_SECRET"
    monkeypatch.setenv("HARBOR_TOOL_SECRET", "from-the-environment")
    assert shop.reveal("tool_secret") == "from-the-environment"
    assert shop.origins() == {"https://harbor.example", "https://www.harbor.example"}

    page = admin_client.get(f"/admin/chatbot/gatewayshop/{shop.pk}/change/").content.decode()
    assert SECRET not in page and "sk-harbor-key-123456" not in page
    assert shop.secret not in page  # not even encrypted
    assert "set (stored encrypted)" in page and "from the environment variable HARBOR_TOOL_SECRET" in page
    assert SECRET not in repr(shop) and SECRET not in str(shop)


def test_saving_without_typing_keeps_the_secrets_and_a_dash_clears_one(admin_client):
    admin_client.post("/admin/chatbot/gatewayshop/add/", form())
    shop = GatewayShop.objects.get(shop_id="harbor")
    stored = shop.secret
    response = admin_client.post(
        f"/admin/chatbot/gatewayshop/{shop.pk}/change/",
        form(secret="", tool_secret="", openai_api_key="-", name="Harbor Goods Ltd"),
    )
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.name == "Harbor Goods Ltd"
    assert shop.secret == stored and shop.tool_secret == "env:HARBOR_TOOL_SECRET"
    assert shop.openai_api_key == ""


def test_usage_counters_are_listed(admin_client):
    GatewayShop.objects.create(shop_id="harbor", secret=secrets.seal("s"))
    GatewayShop.count("harbor", replies=3, errors=1, tokens=420)
    page = admin_client.get("/admin/chatbot/gatewayshop/").content.decode()
    assert "harbor" in page and ">3<" in page and ">420<" in page


def test_a_secret_cannot_be_read_with_another_key(settings):
    stored = secrets.seal("abc")
    settings.CHATBOT_GATEWAY_KEY = "a-different-key"
    with pytest.raises(secrets.SecretUnavailable):
        secrets.reveal(stored)


def test_a_shops_own_admin_has_no_gateway_section(admin_client, settings):
    settings.CHATBOT_ROLE = "shop"
    assert "Gateway shops" not in admin_client.get("/admin/").content.decode()
    assert admin_client.get("/admin/chatbot/gatewayshop/").status_code == 403
    settings.CHATBOT_ROLE = "gateway"
    assert "Gateway shops" in admin_client.get("/admin/").content.decode()
