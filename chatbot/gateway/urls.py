"""The gateway role's URLconf: ``POST /gateway/v1/chat`` and the health routes.

A project serving the gateway includes it at the root: ``path("", include(
"chatbot.gateway.urls"))`` (the demo's ``config/urls.py`` does so by ``CHATBOT_ROLE``).
"""

from django.urls import include, path

from . import protocol, views

app_name = "chatbot_gateway"

urlpatterns = [
    path(protocol.CHAT_PATH.lstrip("/"), views.chat, name="chat"),
    path("", include("chatbot.health_urls")),
]
