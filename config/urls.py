"""URLs of the demo site: the storefront, the chatbot app's API, admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("chatbot.health_urls")),
    path("", include("chatbot.urls")),
    path("", include("storefront.urls")),
]
