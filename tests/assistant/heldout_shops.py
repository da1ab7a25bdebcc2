"""Two small shops the built-in assistant was never tuned on, for the held-out eval set
(tests/assistant/heldout_set.jsonl, run by ``bench/assistant_eval.py --set heldout``).

They differ from the demo shops on purpose: a home-and-garden shop in English/USD and a
small electronics shop in Chinese/CNY, each with accessories that share a product type's
word, colours, facts in descriptions (weight, battery, capacity, size, care) and FAQ
entries that only differ in detail (cost vs time, destination, payment brand). Alice
("1", alice@example.test) has one order in each.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from chatbot.adapters import FaqInfo, OrderInfo, OrderLineInfo, ProductInfo, ShopInfo
from tests.support.shops import ShopData


def _p(sku: str, name: str, price: str, stock: int, category: str, description: str) -> ProductInfo:
    return ProductInfo(sku, name, description, Decimal(price), stock, category, f"/p/{sku}/")


HOME_PRODUCTS = [
    _p(
        "BL-LMP-1",
        "Arc Floor Lamp",
        "149.00",
        7,
        "Lighting",
        "A tall arc floor lamp in brushed brass. Stands 190 cm high. Takes one E26 bulb, not included.",
    ),
    _p(
        "BL-LMP-2",
        "Cordless Table Lamp",
        "59.00",
        14,
        "Lighting",
        "Rechargeable LED table lamp for the patio or the bedside. The battery lasts up to 40 hours on "
        "the low setting. Available in white and sage green. Splash-proof.",
    ),
    _p(
        "BL-LMP-3",
        "Clip-On Reading Light",
        "24.00",
        0,
        "Lighting",
        "A small clip light for reading in bed. Black. Runs on two AAA batteries.",
    ),
    _p(
        "BL-LMP-4",
        "Linen Lamp Shade",
        "19.00",
        30,
        "Lighting",
        "Replacement drum shade for table and floor lamps, natural linen, 35 cm across.",
    ),
    _p(
        "BL-KIT-1",
        "Cast Iron Skillet 26 cm",
        "45.00",
        20,
        "Kitchen",
        "Pre-seasoned cast iron pan for searing and baking. It weighs 2.4 kg. Hand wash only and dry "
        "it straight away.",
    ),
    _p(
        "BL-KIT-2",
        "Ceramic Teapot",
        "38.00",
        9,
        "Kitchen",
        "Glazed stoneware teapot in blue. It holds 1.2 litres, enough for six cups. Dishwasher safe.",
    ),
    _p(
        "BL-KIT-3",
        "Bamboo Knife Block",
        "34.00",
        0,
        "Kitchen",
        "Holds six knives of any brand. Made of bamboo with a non-slip base.",
    ),
    _p(
        "BL-BED-1",
        "Merino Throw Blanket",
        "89.00",
        11,
        "Bedding",
        "A soft merino wool throw, 130 x 170 cm, in oatmeal or charcoal. Keeps you warm on cold "
        "evenings. Dry clean or hand wash cool.",
    ),
    _p(
        "BL-BED-2",
        "Heated Electric Blanket",
        "119.00",
        4,
        "Bedding",
        "Electric underblanket with three heat settings and auto shut-off after 9 hours. Queen size. "
        "For anyone who feels the cold at night.",
    ),
    _p(
        "BL-BED-3",
        "Linen Pillow Cover",
        "22.00",
        40,
        "Bedding",
        "Stonewashed linen cover, 50 x 50 cm, in black, white or terracotta. Zip closure.",
    ),
    _p(
        "BL-BTH-1",
        "Hooded Bath Robe",
        "65.00",
        8,
        "Bath",
        "Waffle cotton bath robe with a hood, in white or grey.",
    ),
    _p(
        "BL-BTH-2",
        "Shawl Collar Bath Robe",
        "69.00",
        5,
        "Bath",
        "Plush cotton bath robe with a shawl collar, in navy.",
    ),
    _p(
        "BL-GAR-1",
        "Tilting Sun Umbrella",
        "79.00",
        6,
        "Garden",
        "A 2 metre tilting parasol with UV50+ fabric for shade from the sun on the patio or at the "
        "beach. It weighs 3.1 kg.",
    ),
    _p(
        "BL-GAR-2",
        "Watering Can 5L",
        "27.00",
        15,
        "Garden",
        "Galvanised steel watering can with a brass rose. It holds 5 litres.",
    ),
    _p(
        "BL-GAR-3",
        "Gardening Gloves",
        "16.00",
        25,
        "Garden",
        "Padded gloves with a waterproof palm that keep hands warm and dry while you work outside in "
        "the cold. Sizes S, M and L.",
    ),
    _p(
        "BL-GIF-1",
        "Scented Candle Trio",
        "42.00",
        18,
        "Gifts",
        "Three soy wax candles: fig, cedar and sea salt. Each burns for about 30 hours. Comes "
        "gift-wrapped, a ready present.",
    ),
]

HOME_FAQ = [
    FaqInfo("How much does shipping cost?", "Standard shipping is a flat $6; orders over $75 ship free."),
    FaqInfo(
        "How long does delivery take?",
        "Orders leave our warehouse within 1-2 business days and arrive in 3-6 business days within the US.",
    ),
    FaqInfo(
        "Do you ship internationally?",
        "We ship to Canada and Mexico for a flat $18; delivery there takes 7-12 business days. We don't "
        "ship to other countries yet.",
    ),
    FaqInfo(
        "What is your return policy?",
        "Return unused items in their original packaging within 30 days for a full refund.",
    ),
    FaqInfo(
        "Can I exchange an item for another size or colour?",
        "Yes — start an exchange from your order page within 30 days; we send the new item as soon as the "
        "original reaches us.",
    ),
    FaqInfo(
        "Can I return bedding once it is opened?",
        "For hygiene reasons, opened pillows, pillow covers and electric blankets can only be returned if "
        "they are faulty.",
    ),
    FaqInfo(
        "Which payment methods do you accept?", "We accept Visa, Mastercard, Discover, PayPal and Apple Pay."
    ),
    FaqInfo(
        "Can I pay in instalments?", "Yes, Klarna lets you pay in 4 interest-free instalments at checkout."
    ),
    FaqInfo(
        "Do you sell gift cards?", "Digital gift cards from $25 to $200 are sent by email within minutes."
    ),
    FaqInfo(
        "How can I contact you?", "Email hello@brightleaf.test or call 1-800-555-0199, weekdays 8am-6pm."
    ),
]

GADGET_PRODUCTS = [
    _p(
        "XH-EAR-1",
        "降噪蓝牙耳机",
        "399.00",
        12,
        "耳机",
        "主动降噪头戴式耳机。单次续航30小时，快充10分钟可听5小时。黑色和白色可选。",
    ),
    _p(
        "XH-EAR-2",
        "运动挂耳耳机",
        "199.00",
        0,
        "耳机",
        "挂耳式设计，跑步不易掉落，IPX5防水，续航8小时。红色。",
    ),
    _p("XH-EAR-3", "有线入耳耳机", "69.00", 50, "耳机", "3.5毫米接口，线长1.2米，白色。"),
    _p("XH-EAR-4", "耳机收纳盒", "29.00", 80, "配件", "硬壳耳机收纳盒，适合大部分耳机，黑色。"),
    _p(
        "XH-SPK-1",
        "便携蓝牙音箱",
        "259.00",
        9,
        "音箱",
        "IPX7级防水，可以带去海边和泳池。续航12小时，重量540克。蓝色和黑色。",
    ),
    _p("XH-SPK-2", "木纹桌面音箱", "329.00", 3, "音箱", "胡桃木外壳，适合书房和客厅，需接电源使用。"),
    _p(
        "XH-PWR-1",
        "20000毫安充电宝",
        "149.00",
        25,
        "充电",
        "容量20000毫安时，支持22.5W快充。重量380克，可以带上飞机。",
    ),
    _p("XH-PWR-2", "磁吸无线充电宝", "199.00", 6, "充电", "容量5000毫安时，磁吸贴合手机背面。粉色、白色。"),
    _p("XH-CBL-1", "编织快充数据线", "39.00", 100, "配件", "USB-C接口，长1米，尼龙编织更耐用。"),
    _p(
        "XH-WRM-1",
        "USB暖手宝",
        "89.00",
        20,
        "生活电器",
        "冬天手冷的暖手神器，三档温度。内置5200毫安时电池，也能当充电宝用。粉色、灰色。送女朋友合适。",
    ),
    _p(
        "XH-WRM-2",
        "电热护膝",
        "169.00",
        7,
        "生活电器",
        "石墨烯发热，三档温控，适合膝盖怕冷的老人。续航4小时。送长辈的保暖礼物。",
    ),
    _p("XH-MAS-1", "颈部按摩仪", "239.00", 0, "生活电器", "低频脉冲按摩，缓解颈椎疲劳，附带遥控器。"),
]

GADGET_FAQ = [
    FaqInfo("运费多少？", "订单满99元包邮，不满99元收取运费8元。"),
    FaqInfo("多久能到？", "下单后24小时内发货，江浙沪次日达，其他地区2-4天送达。"),
    FaqInfo(
        "能寄到港澳台或国外吗？", "支持寄往香港、澳门和台湾，运费25元，5-7天送达；暂不支持寄往其他国家。"
    ),
    FaqInfo(
        "退货政策是什么？",
        "签收后7天内支持无理由退货，商品需保持完好；已拆封的耳机因卫生原因仅支持质量问题退换。",
    ),
    FaqInfo("怎么换货？", "收货15天内出现质量问题可以换新，在订单页申请换货即可。"),
    FaqInfo("支持哪些付款方式？", "支持支付宝、微信支付、银联云闪付和花呗分期。"),
    FaqInfo("保修多久？", "耳机和音箱保修一年，充电宝和数据线保修六个月。"),
    FaqInfo("可以开发票吗？", "可以开具电子普通发票，下单时填写抬头即可。"),
    FaqInfo("怎么联系客服？", "客服电话400-800-1234，每天9:00-21:00。"),
]


def _order(number: str, currency: str, sku: str, name: str, total: str) -> OrderInfo:
    placed = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    return OrderInfo(
        number=number,
        status="shipped",
        placed_at=placed,
        shipped_at=placed + dt.timedelta(days=1),
        carrier="UPS" if currency == "USD" else "顺丰",
        tracking_number="TRK" + number.replace("-", ""),
        total=Decimal(total),
        currency=currency,
        lines=(OrderLineInfo(sku, name, 1, Decimal(total)),),
    )


HELDOUT_SHOPS = ShopData(
    shops=(
        ShopInfo("brightleaf", "Brightleaf Home", "USD", "en", "/brightleaf/"),
        ShopInfo("xiaohe", "小禾数码", "CNY", "zh-hans", "/xiaohe/"),
    ),
    products={"brightleaf": HOME_PRODUCTS, "xiaohe": GADGET_PRODUCTS},
    faq={"brightleaf": HOME_FAQ, "xiaohe": GADGET_FAQ},
    customers={"alice@example.test": ("1", "Alice")},
    orders={
        ("brightleaf", "1"): [_order("BL-20417", "USD", "BL-KIT-2", "Ceramic Teapot", "38.00")],
        ("xiaohe", "1"): [_order("XH-88231", "CNY", "XH-EAR-1", "降噪蓝牙耳机", "399.00")],
    },
)
