"""``{% chatbot_widget %}`` — the chat launcher on every page.

Like wagtail's userbar it fails quietly: no request, chat switched off, or an unknown
shop renders "". Server URLs reach the script through ``data-*`` attributes built with
``{% url %}``; per-shop settings and shop facts come from the cache, so a warm page
costs no query.
"""

from __future__ import annotations

from django import template
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse

from .. import conf
from ..activity import is_active
from ..adapters import get_adapter
from ..engines import engine_name
from ..identity import customer_chat_id, ensure_guest
from ..inbox.hours import describe as describe_hours
from ..shop_settings import settings_for_shop
from ..shops import shop_id_for_request, shop_info

register = template.Library()

PROMISE = {
    "en": "Ask about products, orders and shipping — a person can take over anytime.",
    "zh": "咨询商品、订单和配送——随时可以转人工。",
}
WELCOME = {
    "en": "Hi! I'm the {shop} assistant. How can I help you today?",
    "zh": "您好！我是{shop}的智能客服，请问有什么可以帮您？",
}


@register.simple_tag(takes_context=True)
def chatbot_widget(context: template.Context, logo_url: str = "") -> str:
    request = context.get("request")
    if request is None or not conf.get("CHATBOT_ENABLED") or not conf.serves_shop():
        # A gateway (CHATBOT_ROLE=gateway) serves no shoppers: no widget on its pages.
        return ""
    shop_id = shop_id_for_request(request)
    shop = shop_info(shop_id)
    if shop is None:
        return ""
    chat = settings_for_shop(shop.id)
    if not chat.enabled:
        return ""
    # The page's session cookie names the guest, so a new visitor's first requests (the
    # token and a first message, maybe from two tabs at once) are one shopper.
    guest_id = ensure_guest(request)
    lang = "zh-hans" if shop.language.lower().startswith("zh") else "en"
    key = "zh" if lang == "zh-hans" else "en"
    return render_to_string(
        "chatbot/widget.html",
        {
            "shop": shop,
            "lang": lang,
            "engine": engine_name(),
            "color": chat.button_color,
            "position": chat.position,
            "welcome": chat.welcome_message or WELCOME[key].format(shop=shop.name),
            "promise": PROMISE[key],
            "business_hours": describe_hours(chat.business_hours, lang),
            "logo": logo_url or conf.get("CHATBOT_LOGO_URL"),
            "active": _active(request, shop.id, guest_id),
            "reply_timeout": _reply_timeout(),
            "csrf_token": get_token(request),
            "urls": {
                "loader": static("chatbot/loader.js"),
                "panel": static("chatbot/panel.js"),
                "stream": static("chatbot/stream-transport.js"),
                "token": reverse("chatbot:token"),
                "message": reverse("chatbot:message"),
                "history": reverse("chatbot:history"),
                "events": reverse("chatbot:events"),
                "stop": reverse("chatbot:stop"),
                "rating": reverse("chatbot:rating"),
            },
        },
    )


def _active(request: object, shop_id: str, guest_id: str | None) -> bool:
    """Whether the widget should connect before the shopper opens it (chatbot.activity):
    one cache read, no query. A guest made up just now has no conversation at all."""
    if guest_id is None:
        customer = get_adapter().customer_for_request(request)  # type: ignore[arg-type]
        if customer is None:
            return False
        return is_active(shop_id, customer_chat_id(customer[0]))
    return is_active(shop_id, guest_id)


def _reply_timeout() -> int:
    """Seconds a reply may show "thinking" with no event before the widget checks on it."""
    try:
        return max(5, int(conf.get("CHATBOT_REPLY_TIMEOUT_SECONDS")))
    except (TypeError, ValueError):
        return 90
