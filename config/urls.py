"""URLs of the demo site, by ``CHATBOT_ROLE``: a shop (the storefront and the chatbot
app's API), a gateway (the AI service for many shops), or both. Admin in every role."""

from django.contrib import admin
from django.urls import include, path

from chatbot import conf

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("chatbot.health_urls")),
]
if conf.serves_gateway():
    urlpatterns.append(path("", include("chatbot.gateway.urls")))
if conf.serves_shop():
    urlpatterns += [
        path("", include("chatbot.urls")),
        path("", include("storefront.urls")),
    ]
else:
    # The storefront's 404 page needs its URLs; a gateway answers JSON.
    handler404 = "chatbot.gateway.views.not_found"
