"""The shops the built-in assistant is tested against, for
:class:`tests.support.shops.MemoryShopAdapter`: an English/USD and a Chinese/CNY shop,
an empty one and one without FAQ; customers "1" alice and "2" bob with their orders.
No database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from chatbot.adapters import FaqInfo, OrderInfo, OrderLineInfo, ProductInfo, ShopInfo
from chatbot.assistants.base import AssistantContext
from chatbot.vocabulary import ChatTurn, Shopper
from tests.support.shops import ShopData

UTC = dt.UTC


def _p(sku, name, price, stock, category, description=""):
    return ProductInfo(
        sku=sku,
        name=name,
        description=description,
        price=Decimal(price),
        stock=stock,
        category=category,
        url=f"/p/{sku}/",
    )


EN_PRODUCTS = [
    _p(
        "EN-JKT-1",
        "Storm Shell Rain Jacket",
        "129.00",
        12,
        "Jackets",
        "Waterproof breathable shell made of recycled nylon. Available in red and navy. Sizes S to XL.",
    ),
    _p(
        "EN-JKT-2",
        "Down Puffer Jacket",
        "189.50",
        0,
        "Jackets",
        "Warm goose down jacket in black. Sizes XS to XXL.",
    ),
    _p("EN-JKT-3", "Fleece Zip Jacket", "59.90", 3, "Jackets", "Soft grey fleece for cool evenings."),
    _p(
        "EN-SHO-1",
        "Trail Running Shoes",
        "89.00",
        20,
        "Shoes",
        "Lightweight trail runners with a grippy sole. Blue and orange.",
    ),
    _p(
        "EN-SHO-2",
        "Leather Hiking Boots",
        "149.00",
        4,
        "Shoes",
        "Full-grain leather boots, waterproof membrane. Brown.",
    ),
    _p(
        "EN-BAG-1",
        "Daypack Backpack 20L",
        "45.00",
        30,
        "Bags",
        "A 20 litre backpack with a laptop sleeve. Green.",
    ),
    _p("EN-BAG-2", "Travel Duffel Bag", "75.00", 0, "Bags", "A 60 litre duffel bag in black canvas."),
    _p("EN-ACC-1", "Merino Wool Beanie", "24.00", 50, "Accessories", "Merino wool hat, red or grey."),
    _p("EN-ACC-2", "Insulated Water Bottle", "19.99", 100, "Accessories", "Stainless steel bottle, 750 ml."),
    _p("EN-TNT-1", "Two-Person Dome Tent", "219.00", 6, "Camping", "Freestanding dome tent for two, 2.1 kg."),
]

ZH_PRODUCTS = [
    _p("ZH-TEA-1", "西湖龙井绿茶", "168.00", 40, "茶叶", "明前龙井，清香回甘，250克罐装。"),
    _p("ZH-TEA-2", "云南普洱熟茶饼", "298.00", 0, "茶叶", "357克茶饼，陈香浓郁。"),
    _p("ZH-CUP-1", "青瓷茶杯套装", "88.00", 15, "茶具", "手工青瓷，一壶四杯，蓝色釉面。"),
    _p("ZH-CUP-2", "紫砂壶", "399.00", 2, "茶具", "宜兴原矿紫砂，容量200毫升。"),
    _p("ZH-SHO-1", "男士跑步鞋", "259.00", 8, "鞋", "透气网面跑鞋，黑色和白色，尺码39到45。"),
    _p("ZH-CLO-1", "纯棉白色T恤", "59.00", 100, "服装", "100%纯棉，白色，尺码S到XL。"),
    _p("ZH-CLO-2", "防水冲锋衣", "499.00", 5, "服装", "三合一防水冲锋衣，红色，面料为尼龙。"),
]

EN_FAQ = [
    FaqInfo(
        "How long does shipping take?",
        "We ship within 1 business day; delivery takes 3-5 business days in the US. "
        "Express shipping is available at checkout.",
    ),
    FaqInfo(
        "What is your return policy?",
        "You can return unworn items within 30 days for a full refund. "
        "Refunds reach your card within 5 business days.",
    ),
    FaqInfo("Can I cancel my order?", "Orders can be cancelled free of charge until they ship."),
    FaqInfo(
        "Which payment methods do you accept?", "We accept Visa, Mastercard, American Express and PayPal."
    ),
    FaqInfo(
        "How can I contact you?", "Email help@example.test or call +1 555 0100, Monday to Friday 9am-5pm."
    ),
    FaqInfo(
        "Do your products have a warranty?", "All gear has a two-year warranty against manufacturing defects."
    ),
    FaqInfo(
        "How do I choose my size?",
        "Our size chart is on every product page; if you are between sizes, size up.",
    ),
    FaqInfo("Do you offer gift wrapping?", "Yes, gift wrapping is available for $5 at checkout."),
]

ZH_FAQ = [
    FaqInfo("多久发货？运费多少？", "下单后48小时内发货，全国包邮，一般3-5天送达。"),
    FaqInfo("退货退款政策是什么？", "收货后7天内可无理由退货，退款在3个工作日内原路返回。"),
    FaqInfo("可以取消订单吗？", "订单发货前可以随时免费取消。"),
    FaqInfo("支持哪些支付方式？", "支持支付宝、微信支付和银联卡。"),
    FaqInfo("怎么联系客服？", "客服电话400-000-0000，工作时间每天9:00-18:00。"),
    FaqInfo("商品有保修吗？", "茶具提供一年质保。"),
    FaqInfo("尺码怎么选？", "请参考商品页的尺码表，介于两个尺码之间建议选大一码。"),
]


def _order(number, status, days_ago, shipped=True, carrier="UPS", tracking="1Z999", currency="USD"):
    placed = dt.datetime(2025, 3, 1, 10, 0, tzinfo=UTC) - dt.timedelta(days=days_ago)
    return OrderInfo(
        number=number,
        status=status,
        placed_at=placed,
        shipped_at=placed + dt.timedelta(days=1) if shipped else None,
        carrier=carrier if shipped else "",
        tracking_number=tracking if shipped else "",
        total=Decimal("129.00"),
        currency=currency,
        lines=(OrderLineInfo("EN-JKT-1", "Storm Shell Rain Jacket", 1, Decimal("129.00")),),
    )


ASSISTANT_SHOPS = ShopData(
    shops=(
        ShopInfo("en-shop", "Test Outfitters", "USD", "en", "/en-shop/"),
        ShopInfo("zh-shop", "测试茶庄", "CNY", "zh-hans", "/zh-shop/"),
        ShopInfo("empty", "Empty Shop", "USD", "en", "/empty/"),
        ShopInfo("nofaq", "No FAQ Shop", "EUR", "en", "/nofaq/"),
    ),
    products={"en-shop": EN_PRODUCTS, "zh-shop": ZH_PRODUCTS, "empty": [], "nofaq": EN_PRODUCTS[:4]},
    faq={"en-shop": EN_FAQ, "zh-shop": ZH_FAQ, "empty": EN_FAQ, "nofaq": []},
    customers={"alice@example.test": ("1", "Alice"), "bob@example.test": ("2", "Bob")},
    orders={
        ("en-shop", "1"): [
            _order("A-1002", "shipped", 2, carrier="UPS", tracking="1Z-ALICE-2"),
            _order("A-1001", "delivered", 30),
        ],
        ("en-shop", "2"): [_order("B-2001", "paid", 1, shipped=False)],
        ("zh-shop", "1"): [_order("Z-3001", "shipped", 3, carrier="顺丰", tracking="SF123", currency="CNY")],
    },
)


def make_context(
    adapter, shop_id="en-shop", message="", customer=None, history=(), state=None, language=None
):
    shop = adapter.get_shop(shop_id)
    shopper = Shopper(
        chat_user_id="u-test",
        display_name={"1": "Alice", "2": "Bob"}.get(customer or "", "Guest"),
        customer_ref=customer,
        language=language or shop.language,
    )
    return AssistantContext(
        shop=shop,
        shopper=shopper,
        message=message,
        adapter=adapter,
        history=[ChatTurn(role, text) for role, text in history],
        language=language or shop.language,
        state=state if state is not None else {},
    )
