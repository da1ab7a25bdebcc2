from django.urls import path, re_path

from . import views
from .engines.local import views as local_views
from .engines.stream import webhook as stream_webhook
from .gateway import callback as gateway_callback

app_name = "chatbot"

urlpatterns = [
    path("api/chatbot/stream-chat-token", views.TokenView.as_view(), name="token"),
    path("api/chatbot/stream-message", views.MessageView.as_view(), name="message"),
    path("api/chatbot/stop", views.StopView.as_view(), name="stop"),
    path("api/chatbot/contact-email", views.ContactEmailView.as_view(), name="contact-email"),
    path("api/chatbot/rating", views.RatingView.as_view(), name="rating"),
    path("api/chatbot/history", views.HistoryView.as_view(), name="history"),
    path("api/chatbot/events", local_views.events_view, name="events"),
    path("api/chatbot/webhooks/stream", stream_webhook.stream_webhook, name="stream-webhook"),
    # The gateway role asks this shop for tool results here (signed; docs/gateway.md).
    path("api/chatbot/gateway-tools", gateway_callback.gateway_tools, name="gateway-tools"),
    path("api/chatbot/schema", views.SchemaView.as_view(), name="schema"),
    # Last: any other path under the chat's prefix is the chat's JSON 404, not the host's page.
    re_path(r"^api/chatbot/", views.not_found, name="not-found"),
]
