"""CHATBOT_ROLE: what a process serves."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.template import Context, Template
from django.test import RequestFactory

from chatbot import conf
from chatbot.exceptions import ChatbotImproperlyConfigured


def widget(settings) -> str:
    settings.CHATBOT_SHOP_ADAPTER = "tests.support.shops.MemoryShopAdapter"
    settings.CHATBOT_SHOP_ID = "acme"
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.user = AnonymousUser()
    return Template("{% load chatbot %}{% chatbot_widget %}").render(Context({"request": request}))


@pytest.mark.django_db
def test_a_gateway_renders_no_widget(settings):
    assert 'id="chatbot-loader"' in widget(settings)
    settings.CHATBOT_ROLE = "gateway"
    assert widget(settings).strip() == ""
    settings.CHATBOT_ROLE = "both"
    assert 'id="chatbot-loader"' in widget(settings)


def test_the_role_is_one_of_three(settings):
    assert conf.role() == "shop" and conf.serves_shop() and not conf.serves_gateway()
    settings.CHATBOT_ROLE = "Gateway"
    assert conf.role() == "gateway" and conf.serves_gateway() and not conf.serves_shop()
    settings.CHATBOT_ROLE = "proxy"
    with pytest.raises(ChatbotImproperlyConfigured):
        conf.role()
