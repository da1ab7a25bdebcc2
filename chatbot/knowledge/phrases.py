"""What the built-in assistant says, in English and Chinese.

Templates only; the facts in them (names, prices, policies) always come from the shop.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

_SYMBOLS = {
    "USD": "$",
    "CNY": "¥",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "HKD": "HK$",
    "AUD": "A$",
    "CAD": "C$",
}

PHRASES: dict[str, tuple[str, str]] = {
    "greeting": (
        "Hi{name}! Welcome to {shop}. I can help you find products, check prices and stock, "
        "track your order, or explain shipping and returns. What are you looking for?",
        "您好{name}！欢迎光临{shop}。我可以帮您找商品、查价格和库存、查询订单，或解答配送和退换货问题。请问需要什么帮助？",
    ),
    "thanks": (
        "You're welcome! Is there anything else I can help you with?",
        "不客气！还有什么可以帮您的吗？",
    ),
    "goodbye": ("Thanks for visiting {shop} — have a great day!", "感谢光临{shop}，祝您生活愉快！"),
    "symbols": (
        "😊 How can I help? Ask me about our products, prices, stock, your order or our policies.",
        "😊 请问有什么可以帮您？可以问我商品、价格、库存、订单或店铺政策。",
    ),
    "out_of_scope": (
        "I'm the shopping assistant of {shop}, so I can only help with our products, your orders and "
        "the shop's policies. What can I help you find?",
        "我是{shop}的购物助手，只能解答本店商品、订单和店铺政策方面的问题。请问您想找什么商品？",
    ),
    "no_match": (
        "I couldn't find a product in our shop that matches that. Could you tell me a bit more — "
        "the kind of product, a colour, or a budget?",
        "抱歉，本店没有找到符合的商品。能再具体描述一下吗？比如商品类型、颜色或预算。",
    ),
    "empty_shop": (
        "Our catalog is empty at the moment, so I can't suggest products yet. I can still help with "
        "orders and the shop's policies.",
        "本店目前还没有上架商品，暂时无法为您推荐。订单和店铺政策方面的问题我仍然可以帮您解答。",
    ),
    "results": ("Here's what I found{qualifier}:", "为您找到以下商品{qualifier}："),
    "under": (" under {amount}", "（{amount}以内）"),
    "over": (" over {amount}", "（{amount}以上）"),
    "between": (" between {low} and {high}", "（{low}到{high}之间）"),
    "cheapest_first": (", cheapest first", "，价格从低到高"),
    "dearest_first": (", most expensive first", "，价格从高到低"),
    "in_stock_only": (" (in stock only)", "（仅显示有货）"),
    "line": ("• {name} — {price}, {stock}", "• {name}：{price}，{stock}"),
    "in_stock": ("in stock", "有货"),
    "few_left": ("only {count} left", "仅剩{count}件"),
    "out_of_stock": ("out of stock", "暂时缺货"),
    "none_in_price": (
        "I couldn't find a match{qualifier}. The lowest-priced match is {name} at {price}.",
        "没有找到{qualifier}的符合商品。最便宜的相关商品是{name}，价格{price}。",
    ),
    "none_in_stock": (
        "Sorry, none of the matching products are in stock right now. The closest is {name} ({price}).",
        "抱歉，符合条件的商品目前都缺货。最接近的是{name}（{price}）。",
    ),
    "colour_missing": (
        "I couldn't find that in {colour}; these are the closest matches:",
        "没有找到{colour}的款式，以下是最接近的商品：",
    ),
    "price": ("The {name} costs {price} and is {stock}.", "{name}的价格是{price}，{stock}。"),
    "stock_yes": ("Yes — the {name} is {stock}, at {price}.", "有的，{name}目前{stock}，价格{price}。"),
    "stock_no": (
        "Sorry, the {name} ({price}) is out of stock at the moment.",
        "抱歉，{name}（{price}）目前暂时缺货。",
    ),
    "alternatives": ("In stock instead: {names}.", "可以看看这些有货的：{names}。"),
    "about": ("{name} — {price}, {stock}. {facts}", "{name}：{price}，{stock}。{facts}"),
    "size_guide": ("Sizing: {answer}", "尺码说明：{answer}"),
    "which_product": (
        "Which product do you mean? Tell me its name and I'll check it for you.",
        "请问您指的是哪件商品？告诉我商品名称，我来帮您查。",
    ),
    "sign_in": (
        "Please sign in to your account so I can look up your orders — for your security I only "
        "show orders to the customer who placed them.",
        "请先登录您的账户，我才能为您查询订单——为了您的安全，订单信息只向下单本人显示。",
    ),
    "order_not_found": (
        "I couldn't find an order with the number {number} on your account. Please check the number.",
        "您的账户中没有找到订单号为{number}的订单，请核对订单号。",
    ),
    "no_orders": ("I can't see any orders on your account in this shop yet.", "您在本店还没有订单。"),
    "order": (
        "Order {number}: {status}. Placed on {placed}{shipped}{carrier}{tracking}. Total {total}.",
        "订单{number}：{status}。下单日期{placed}{shipped}{carrier}{tracking}。合计{total}。",
    ),
    "shipped_on": (", shipped on {date}", "，{date}发货"),
    "carrier": (" with {carrier}", "，承运商{carrier}"),
    "tracking": (" (tracking number {tracking})", "，运单号{tracking}"),
    "other_orders": ("Your other recent orders: {orders}.", "您最近的其他订单：{orders}。"),
    "cancel_open": (
        "Order {number} hasn't shipped yet, so it can still be cancelled.",
        "订单{number}尚未发货，还可以取消。",
    ),
    "cancel_shipped": (
        "Order {number} is already {status}, so it can't be cancelled now — a return may be possible "
        "instead.",
        "订单{number}当前状态为{status}，已无法取消，可以考虑申请退货。",
    ),
    "cancel_closed": ("Order {number} is already {status}.", "订单{number}当前状态为{status}。"),
    "policy": ("{answer}", "{answer}"),
    "ask_person": (
        "If you'd like, a member of our team can take care of it for you.",
        "如有需要，可以为您转接工作人员处理。",
    ),
    "no_faq": (
        "I don't have that written down in our shop information. Would you like me to pass you to a "
        "person from {shop}?",
        "这个问题本店资料里暂时没有说明。需要为您转接{shop}的工作人员吗？",
    ),
    "handoff": (
        "I'm passing this conversation to a member of the {shop} team — a person will take over here "
        "shortly.",
        "已为您转接{shop}的工作人员，稍后会有人工客服在这里为您服务。",
    ),
    "sorry": ("I'm sorry about your experience. ", "非常抱歉给您带来不好的体验。"),
    "qr_shipping": ("Shipping", "配送说明"),
    "qr_returns": ("Returns", "退换货"),
    "qr_orders": ("Track my order", "查询订单"),
    "qr_person": ("Talk to a person", "转人工"),
    "qr_cheapest": ("Cheapest first", "便宜的优先"),
    "qr_in_stock": ("In stock only", "只看有货"),
    "qr_payment": ("Payment methods", "支付方式"),
    "qr_price": ("How much is it?", "多少钱？"),
    "qr_stock": ("Is it in stock?", "有货吗？"),
    "qr_dearest": ("Most expensive first", "贵的优先"),
    "qr_similar_in_stock": ("Similar ones in stock", "看看有货的同类"),
    "facts_missing": (
        "The description of the {name} doesn't say that. What it says: {description}",
        "{name}的商品介绍里没有写到这一点。介绍原文：{description}",
    ),
    "fact": ("{name}: {facts}", "{name}：{facts}"),
    "closest": (
        "Nothing matches all of that{qualifier}. The closest in stock: {reason}",
        "没有完全符合{qualifier}的商品。最接近且有货的是：{reason}",
    ),
    "closest_price": ("nearest to your budget", "价格最接近您的预算"),
    "closest_words": ("they match part of what you asked for", "它们符合您的部分要求"),
    "excluded": (" (leaving out {what})", "（已排除{what}）"),
    "faq_both": ("{first}\n\nAlso: {second}", "{first}\n\n另外：{second}"),
}

ORDER_STATUSES: dict[str, tuple[str, str]] = {
    "pending": ("awaiting payment", "待付款"),
    "paid": ("paid and being prepared", "已付款，正在备货"),
    "shipped": ("shipped", "已发货"),
    "delivered": ("delivered", "已送达"),
    "cancelled": ("cancelled", "已取消"),
    "refunded": ("refunded", "已退款"),
}

COLOUR_NAMES_ZH = {
    "red": "红色",
    "blue": "蓝色",
    "navy": "藏青色",
    "green": "绿色",
    "black": "黑色",
    "white": "白色",
    "grey": "灰色",
    "yellow": "黄色",
    "orange": "橙色",
    "pink": "粉色",
    "purple": "紫色",
    "brown": "棕色",
    "beige": "米色",
    "silver": "银色",
    "gold": "金色",
}


def say(key: str, lang: str, **values: object) -> str:
    en, zh = PHRASES[key]
    return (zh if lang == "zh" else en).format(**values)


def money(amount: Decimal, currency: str) -> str:
    value = f"{Decimal(amount).quantize(Decimal('0.01')):,}"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"


def stock_state(stock: int, lang: str) -> str:
    if stock <= 0:
        return say("out_of_stock", lang)
    if stock <= 5:
        return say("few_left", lang, count=stock)
    return say("in_stock", lang)


def order_status_name(status: str, lang: str) -> str:
    en, zh = ORDER_STATUSES.get(status, (status, status))
    return zh if lang == "zh" else en


def day(value: dt.datetime | None) -> str:
    return value.date().isoformat() if value else ""


def colour_name(colour: str, lang: str) -> str:
    return COLOUR_NAMES_ZH.get(colour, colour) if lang == "zh" else colour
