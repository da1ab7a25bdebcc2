from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from . import views, webhooks

app_name = "chatbot"

urlpatterns = [
    path("api/chatbot/stream-chat-token", views.TokenView.as_view(), name="token"),
    path("api/chatbot/stream-message", views.MessageView.as_view(), name="message"),
    path("api/chatbot/stop", views.StopView.as_view(), name="stop"),
    path("api/chatbot/history", views.HistoryView.as_view(), name="history"),
    path("api/chatbot/events", views.events, name="events"),
    path("api/chatbot/webhooks/stream", webhooks.stream_webhook, name="stream-webhook"),
    path("api/chatbot/schema", SpectacularAPIView.as_view(), name="schema"),
]
