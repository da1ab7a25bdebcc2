from django.urls import path

from . import event_stream, views, webhooks

app_name = "chatbot"

urlpatterns = [
    path("api/chatbot/stream-chat-token", views.TokenView.as_view(), name="token"),
    path("api/chatbot/stream-message", views.MessageView.as_view(), name="message"),
    path("api/chatbot/stop", views.StopView.as_view(), name="stop"),
    path("api/chatbot/history", views.HistoryView.as_view(), name="history"),
    path("api/chatbot/events", event_stream.events_view, name="events"),
    path("api/chatbot/webhooks/stream", webhooks.stream_webhook, name="stream-webhook"),
    path("api/chatbot/schema", views.SchemaView.as_view(), name="schema"),
]
