"""``{% chatbot_widget %}`` — placeholder until the widget lands; renders nothing."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def chatbot_widget(context: template.Context) -> str:
    return ""
