"""A site in the ``both`` role: the gateway's routes and a shop's, for in-process tests."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("chatbot.gateway.urls")),
    path("", include("chatbot.urls")),
]
