"""``{{ price|money:shop.currency }}`` → ``$19.90``, ``¥199.00``, ``CHF 12.50``."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()

SYMBOLS = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$", "AUD": "A$", "CAD": "C$"}
# Currencies without minor units are shown without decimals.
NO_DECIMALS = {"JPY", "KRW"}


@register.filter
def money(value: object, currency: object = "") -> str:
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    code = str(getattr(currency, "currency", currency) or "").upper()
    text = f"{amount:,.0f}" if code in NO_DECIMALS else f"{amount:,.2f}"
    sign = "-" if text.startswith("-") else ""
    text = text.lstrip("-")
    symbol = SYMBOLS.get(code)
    if symbol:
        return f"{sign}{symbol}{text}"
    return f"{sign}{code} {text}".strip()
