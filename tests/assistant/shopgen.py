"""A small generator of realistic shop catalogs and FAQs, written as the CSV files a shop
owner hands to ``manage.py import_catalog`` (``sku,name,description,price,stock,category``
and ``question,answer``), for the generated eval sets (tests/assistant/generated_set.jsonl,
heldout2_set.jsonl, multiturn_set.jsonl, multiturn_heldout_set.jsonl).

Four shops of kinds the demo and the first held-out shops do not cover: a pet shop
(English, USD), a bookshop and stationer (English, GBP), a cosmetics shop (Chinese, CNY)
and a bike shop (Chinese, CNY). Each shop is a list of product models; the generator
draws, from a fixed seed, each model's price within its range, its stock (some sold out),
its colours from the shop's palette, and the figures of the facts its description states
(weight, size, battery, capacity, material...). The FAQ comes from a few shop parameters
(free-shipping threshold, fees, delivery times, destinations, payment brands, return days)
through one template per language, so entries differ only in detail, as real ones do.

The eval sets name the SKUs and quote the figures this produces: the output is
deterministic (same seed, same files), and a change here means re-checking the sets.

    python -m tests.assistant.shopgen OUTDIR         # write the CSV files
    python -m tests.assistant.shopgen --print        # show the catalogs
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

SEED = 20261205


@dataclass(frozen=True)
class Model:
    """One product. ``facts`` are sentences of its description; ``{lo-hi}`` is a figure the
    generator draws (``{1.2-3.4}`` with one decimal). ``colours`` is how many colours it
    comes in (0: the description names none). ``stock`` forces the stock (e.g. 0)."""

    code: str
    name: str
    category: str
    lead: str
    price: tuple[int, int]
    facts: tuple[str, ...] = ()
    colours: int = 0
    stock: int | None = None


@dataclass(frozen=True)
class Policy:
    """What a shop's FAQ says, in figures."""

    free_over: str  # in the FAQ's words: "$49", "88" (元)
    standard_fee: str
    standard_days: str
    express_fee: str
    express_days: str
    carriers: str
    destinations: str
    abroad: str  # where else, how long, what it costs
    not_abroad: str  # what cannot go abroad
    return_days: int
    return_rule: str  # what may come back
    exchange: str  # how an exchange (wrong size, faulty) works
    refund_days: str
    payments: str
    instalments: str
    contact: str
    extras: tuple[tuple[str, str], ...] = ()  # further (question, answer) entries


@dataclass(frozen=True)
class ShopSpec:
    slug: str
    name: str
    currency: str
    language: str
    prefix: str
    palette: tuple[str, ...]
    models: tuple[Model, ...]
    policy: Policy
    cents: str = "00"  # how the shop's prices end


@dataclass
class Product:
    sku: str
    name: str
    description: str
    price: Decimal
    stock: int
    category: str
    colours: list[str] = field(default_factory=list)


_FIGURE = re.compile(r"\{(\d+(?:\.\d)?)-(\d+(?:\.\d)?)\}")


def _fill(template: str, rng: random.Random) -> str:
    def draw(match: re.Match[str]) -> str:
        low, high = match.group(1), match.group(2)
        if "." in low:
            return f"{rng.uniform(float(low), float(high)):.1f}"
        return str(rng.randint(int(low), int(high)))

    return _FIGURE.sub(draw, template)


def _colour_sentence(colours: list[str], language: str) -> str:
    if not colours:
        return ""
    if language.startswith("zh"):
        return f"颜色：{colours[0]}。" if len(colours) == 1 else f"有{'、'.join(colours)}可选。"
    if len(colours) == 1:
        return f"Colour: {colours[0]}."
    return f"Available in {', '.join(colours[:-1])} and {colours[-1]}."


def products(spec: ShopSpec, seed: int = SEED) -> list[Product]:
    rng = random.Random(f"{seed}-{spec.slug}")
    made = []
    for number, model in enumerate(spec.models, start=1):
        low, high = model.price
        price = Decimal(f"{rng.randint(low, high)}.{spec.cents}")
        stock = model.stock if model.stock is not None else rng.choice([0] + [rng.randint(2, 60)] * 6)
        colours = rng.sample(spec.palette, model.colours) if model.colours else []
        facts = [_fill(fact, rng) for fact in model.facts]
        joiner = "" if spec.language.startswith("zh") else " "
        description = joiner.join(
            [_fill(model.lead, rng), *facts, _colour_sentence(colours, spec.language)]
        ).strip()
        sku = f"{spec.prefix}-{model.code}-{number:02d}"
        made.append(Product(sku, model.name, description, price, stock, model.category, colours))
    return made


def faq(spec: ShopSpec) -> list[tuple[str, str]]:
    p = spec.policy
    if spec.language.startswith("zh"):
        entries = [
            (
                "运费怎么算？",
                f"订单满{p.free_over}元包邮，不满{p.free_over}元收取运费{p.standard_fee}元；"
                f"选择{p.carriers.split('、')[-1]}加急另收{p.express_fee}元。",
            ),
            ("多久能收到？", f"付款后48小时内发货，普通快递{p.standard_days}送达，加急{p.express_days}。"),
            ("能寄到哪些地方？", f"{p.destinations}。{p.abroad}{p.not_abroad}"),
            ("退换货政策是什么？", f"签收后{p.return_days}天内{p.return_rule}"),
            ("尺码或型号不合适可以换吗？", p.exchange),
            ("退款多久到账？", p.refund_days),
            ("支持哪些付款方式？", f"支持{p.payments}。{p.instalments}"),
            ("怎么联系客服？", p.contact),
        ]
    else:
        entries = [
            (
                "What does shipping cost?",
                f"Standard delivery is free on orders over {p.free_over}; below that it "
                f"costs {p.standard_fee}. Express delivery costs {p.express_fee}.",
            ),
            (
                "How long does delivery take?",
                f"Orders leave within one working day. Standard delivery takes "
                f"{p.standard_days}, Express {p.express_days}. We ship with {p.carriers}.",
            ),
            ("Where do you ship to?", f"{p.destinations}. {p.abroad} {p.not_abroad}"),
            (
                "What is your returns policy?",
                f"You can return items within {p.return_days} days of delivery. {p.return_rule}",
            ),
            ("Can I exchange an item?", p.exchange),
            ("When will I get my refund?", p.refund_days),
            ("Which payment methods do you accept?", f"We accept {p.payments}. {p.instalments}"),
            ("How do I contact you?", p.contact),
        ]
    return entries + list(p.extras)


# --- the shops -------------------------------------------------------------------------

PET = ShopSpec(
    slug="pawsome",
    name="Pawsome Pet Supply",
    currency="USD",
    language="en",
    prefix="PS",
    cents="99",
    palette=("red", "navy", "black", "grey", "green", "orange", "pink", "blue"),
    models=(
        Model(
            "BED",
            "Orthopedic Dog Bed",
            "Dog Beds",
            "Memory-foam bed for older dogs with sore joints.",
            (79, 99),
            (
                "It measures {90-110} x 70 cm and suits dogs up to {30-40} kg.",
                "The cover is machine washable.",
            ),
            colours=2,
        ),
        Model(
            "BED",
            "Donut Calming Bed",
            "Dog Beds",
            "Round plush bed with a raised rim that anxious dogs and cats love to curl up in.",
            (39, 55),
            ("Diameter {50-70} cm.", "Machine washable at 30 °C."),
            colours=2,
        ),
        Model(
            "BED",
            "Dog Bed Cover",
            "Dog Beds",
            "Spare zip-on cover for the Orthopedic Dog Bed.",
            (19, 24),
            ("Water-resistant polyester.",),
            colours=1,
            stock=40,
        ),
        Model(
            "LSH",
            "Reflective Dog Leash",
            "Leashes & Collars",
            "Padded nylon leash with reflective stitching for evening walks.",
            (18, 24),
            ("It is {1.5-1.8} m long.",),
            colours=3,
        ),
        Model(
            "LSH",
            "Retractable Leash 5 m",
            "Leashes & Collars",
            "Retractable tape leash with a one-button brake.",
            (29, 34),
            ("For dogs up to {20-25} kg.",),
            colours=1,
            stock=0,
        ),
        Model(
            "COL",
            "Leather Dog Collar",
            "Leashes & Collars",
            "Full-grain leather collar with a brass buckle.",
            (25, 32),
            ("Fits necks {35-40}-50 cm.",),
            colours=1,
        ),
        Model(
            "HRN",
            "No-Pull Harness",
            "Leashes & Collars",
            "Front-clip harness that gently stops pulling.",
            (34, 39),
            ("Sizes S, M and L.",),
            colours=2,
        ),
        Model(
            "GPS",
            "GPS Pet Tracker",
            "Smart Pet",
            "Clip-on tracker that shows where your pet is in the app.",
            (59, 69),
            (
                "The battery lasts up to {5-8} days on one charge.",
                "It weighs {25-35} g.",
                "Waterproof to IP67.",
            ),
            stock=12,
        ),
        Model(
            "FNT",
            "Cat Water Fountain",
            "Smart Pet",
            "Quiet fountain that keeps water fresh and moving, so cats drink more.",
            (39, 45),
            ("It holds {2.0-2.5} litres.", "Filters last about 4 weeks."),
            colours=1,
        ),
        Model(
            "FNT",
            "Fountain Filter 4-Pack",
            "Smart Pet",
            "Replacement carbon filters for the Cat Water Fountain.",
            (12, 14),
            (),
            stock=50,
        ),
        Model(
            "FDR",
            "Automatic Pet Feeder",
            "Smart Pet",
            "Timed feeder for dry food with up to four meals a day.",
            (69, 79),
            ("It holds {4-6} litres of kibble.", "Runs on mains power with a battery backup."),
            stock=0,
        ),
        Model(
            "TRE",
            "Cat Tree Tower",
            "Cat Furniture",
            "Three-level cat tree with sisal scratching posts and a hammock.",
            (89, 119),
            ("It stands {120-150} cm tall.", "Assembly takes about 20 minutes."),
            colours=1,
        ),
        Model(
            "SCR",
            "Cardboard Cat Scratcher",
            "Cat Furniture",
            "Recycled cardboard scratcher with catnip.",
            (12, 16),
            ("45 x 22 cm.",),
            stock=30,
        ),
        Model(
            "LIT",
            "Clumping Cat Litter 10 L",
            "Litter & Care",
            "Unscented clay litter that clumps firmly and keeps odours down.",
            (14, 18),
            ("A 10 L bag lasts one cat about a month.",),
        ),
        Model(
            "LIT",
            "Covered Litter Box",
            "Litter & Care",
            "Hooded litter box with a swing door and a carbon filter against smells.",
            (34, 42),
            ("56 x 40 x 42 cm.",),
            colours=2,
        ),
        Model(
            "BRS",
            "Deshedding Brush",
            "Litter & Care",
            "Grooming brush that lifts loose undercoat; a button clears the hair.",
            (19, 24),
            ("Stainless-steel comb, 10 cm wide.",),
            stock=25,
        ),
        Model(
            "SHP",
            "Oatmeal Pet Shampoo",
            "Litter & Care",
            "Gentle shampoo for itchy, dry skin.",
            (11, 14),
            ("500 ml bottle.", "Free of soap and parabens."),
            stock=33,
        ),
        Model(
            "TOY",
            "Squeaky Rope Toy",
            "Toys",
            "Tough cotton rope with a squeaker for tug games.",
            (9, 12),
            ("About 40 cm long.",),
            colours=2,
        ),
        Model(
            "TOY",
            "Interactive Laser Toy",
            "Toys",
            "Automatic laser that keeps indoor cats busy.",
            (24, 29),
            ("The battery lasts about {8-12} hours; charges over USB.",),
            stock=0,
        ),
        Model(
            "TOY",
            "Puzzle Feeder Toy",
            "Toys",
            "Slow-feeder puzzle that makes dogs work for their treats.",
            (16, 21),
            ("Dishwasher safe.",),
            colours=1,
        ),
        Model(
            "CRR",
            "Airline Pet Carrier",
            "Travel",
            "Soft-sided carrier that fits under most airline seats.",
            (45, 55),
            ("It weighs {1.1-1.6} kg.", "For pets up to 8 kg."),
            colours=1,
        ),
        Model(
            "COA",
            "Dog Raincoat",
            "Travel",
            "Lightweight raincoat with a hood and a belly strap.",
            (27, 31),
            ("Sizes XS to XL.",),
            colours=2,
        ),
        Model(
            "COA",
            "Fleece Dog Jumper",
            "Travel",
            "Warm fleece jumper for small dogs that feel the cold, without a hood.",
            (22, 26),
            ("Sizes XS to M.",),
            colours=2,
        ),
        Model(
            "BWL",
            "Stainless Steel Bowl Set",
            "Feeding",
            "Two non-slip steel bowls on a bamboo stand.",
            (24, 28),
            ("Each bowl holds {700-900} ml.",),
        ),
        Model(
            "TRT",
            "Salmon Training Treats",
            "Feeding",
            "Soft grain-free bites for training.",
            (8, 10),
            ("About 400 treats in a 300 g pouch.",),
            stock=60,
        ),
    ),
    policy=Policy(
        free_over="$49",
        standard_fee="$5.99",
        standard_days="3-6 business days",
        express_fee="$14.99",
        express_days="1-2 business days",
        carriers="USPS and FedEx",
        destinations="We ship to all 50 US states and Canada",
        abroad="Canadian orders take 7-10 business days and cost a flat $19.99.",
        not_abroad="We cannot ship pet food or shampoos to Canada.",
        return_days=60,
        return_rule="Unused items come back free; opened food and litter cannot be returned.",
        exchange="Yes: if a harness, coat or collar does not fit, start an exchange from your order page and "
        "we send the new size as soon as we have the old one back.",
        refund_days="Refunds go back to your card within 5 business days of the return arriving.",
        payments="Visa, Mastercard, American Express, PayPal and Apple Pay",
        instalments="Orders over $100 can be split into 4 payments with Afterpay.",
        contact="Email help@pawsome.example or call (555) 010-2233, Monday to Saturday 9am-6pm Central.",
        extras=(
            (
                "Do you offer autoship for food and litter?",
                "Yes: choose Autoship on a food, treat or litter "
                "product and get 10% off every delivery; skip or cancel any time.",
            ),
            ("Is there a vet I can ask?", "We are not vets. For health questions please call your own vet."),
        ),
    ),
)

BOOKS = ShopSpec(
    slug="inkwell",
    name="Inkwell Books & Paper",
    currency="GBP",
    language="en",
    prefix="IW",
    cents="50",
    palette=("black", "navy", "red", "green", "yellow", "purple", "brown"),
    models=(
        Model(
            "NTB",
            "A5 Dotted Notebook",
            "Notebooks",
            "Lay-flat notebook for bullet journals.",
            (12, 16),
            ("{160-200} numbered pages of {100-120} gsm paper.", "Hardcover with an elastic band."),
            colours=3,
        ),
        Model(
            "NTB",
            "Pocket Notebook 3-Pack",
            "Notebooks",
            "Three slim ruled notebooks for a jacket pocket.",
            (8, 10),
            ("Each has 48 pages.", "9 x 14 cm."),
            colours=1,
        ),
        Model(
            "NTB",
            "Leather Travel Journal",
            "Notebooks",
            "Refillable journal with a vegetable-tanned leather cover that ages nicely.",
            (34, 42),
            ("Takes A6 inserts.", "Handmade in Portugal."),
            colours=1,
        ),
        Model(
            "PLN",
            "2027 Weekly Planner",
            "Planners",
            "Week-on-two-pages planner with monthly overviews.",
            (16, 19),
            ("A5, 176 pages.",),
            colours=2,
        ),
        Model(
            "PEN",
            "Steel Nib Fountain Pen",
            "Pens & Ink",
            "A starter fountain pen that writes smoothly from the first line.",
            (22, 28),
            ("Medium steel nib.", "Takes standard international cartridges or the included converter."),
            colours=2,
        ),
        Model(
            "PEN",
            "Gold Nib Fountain Pen",
            "Pens & Ink",
            "Resin fountain pen with a 14k gold nib, for a special gift.",
            (139, 169),
            ("It weighs {18-24} g.", "Comes in a gift box."),
            colours=1,
        ),
        Model(
            "PEN",
            "Fountain Pen Cartridges (pack of 6)",
            "Pens & Ink",
            "Standard international ink cartridges.",
            (3, 4),
            (),
            colours=1,
            stock=80,
        ),
        Model(
            "INK",
            "Bottled Fountain Pen Ink",
            "Pens & Ink",
            "Water-based ink that flows well and cleans out easily.",
            (9, 12),
            ("{30-50} ml glass bottle.",),
            colours=3,
        ),
        Model(
            "PEN",
            "Gel Pen Set",
            "Pens & Ink",
            "Quick-drying 0.5 mm gel pens that do not smudge for left-handers.",
            (7, 9),
            ("Ten colours in a tin.",),
            stock=0,
        ),
        Model(
            "PCL",
            "Canvas Pencil Case",
            "Desk & Storage",
            "Zipped waxed-canvas case with a leather pull.",
            (14, 18),
            ("Holds about 20 pens.", "21 x 8 cm."),
            colours=2,
        ),
        Model(
            "LMP",
            "Clip-On Book Light",
            "Desk & Storage",
            "Rechargeable reading light that clips to a book without waking anyone.",
            (15, 19),
            ("The battery lasts {20-30} hours; charges over USB-C.", "Three warm-to-cool settings."),
            stock=21,
        ),
        Model(
            "LMP",
            "LED Desk Lamp",
            "Desk & Storage",
            "Dimmable desk lamp with an arm that folds flat.",
            (39, 49),
            ("Plugs into the mains; USB port in the base.",),
            colours=1,
            stock=0,
        ),
        Model(
            "BKE",
            "Brass Bookends (pair)",
            "Desk & Storage",
            "Heavy brass bookends that keep a shelf tidy.",
            (29, 35),
            ("Each weighs {0.8-1.2} kg.",),
        ),
        Model(
            "BOK",
            "The Slow Garden (hardback)",
            "Books",
            "A year of low-effort gardening, month by month, with 200 photographs.",
            (20, 25),
            ("{280-320} pages.",),
            stock=9,
        ),
        Model(
            "BOK",
            "Twenty-Minute Suppers (cookbook)",
            "Books",
            "Quick weeknight recipes for two, most in one pan.",
            (16, 22),
            ("{180-220} pages, paperback.",),
            stock=14,
        ),
        Model(
            "BOK",
            "Night Trains of Europe (paperback)",
            "Books",
            "A travel memoir across twelve countries by sleeper train.",
            (9, 12),
            ("{300-360} pages.",),
            stock=0,
        ),
        Model(
            "BOK",
            "Hand Lettering Workbook",
            "Books",
            "Practice sheets and lessons for brush lettering, for beginners.",
            (12, 15),
            ("96 pages of 160 gsm paper.",),
            stock=17,
        ),
        Model(
            "BOK",
            "Picture Book: Otter Goes to Sea",
            "Books",
            "A bedtime story for ages 3-6 about a brave little otter.",
            (7, 9),
            ("32 pages, board cover.",),
            stock=25,
        ),
        Model(
            "WRP",
            "Recycled Gift Wrap (3 sheets)",
            "Gifts & Cards",
            "Kraft wrapping paper with printed botanicals.",
            (5, 6),
            ("Each sheet is 50 x 70 cm.",),
            stock=70,
        ),
        Model(
            "CRD",
            "Letterpress Card Set",
            "Gifts & Cards",
            "Eight blank cards with envelopes, printed by hand.",
            (14, 17),
            ("Cards are A6.",),
            colours=1,
        ),
        Model(
            "BKM",
            "Leather Bookmark",
            "Gifts & Cards",
            "Hand-stitched bookmark, a small gift for a reader.",
            (6, 8),
            (),
            colours=2,
        ),
    ),
    policy=Policy(
        free_over="£30",
        standard_fee="£3.50",
        standard_days="2-4 working days",
        express_fee="£6.95",
        express_days="next working day if ordered by 1pm",
        carriers="Royal Mail and DPD",
        destinations="We deliver across the UK, including the Highlands and Northern Ireland",
        abroad="We also ship to Ireland and the EU: 5-8 working days, from £9.50, and EU customs charges are "
        "paid on delivery.",
        not_abroad="Bottled ink cannot go by air, so it ships within the UK only.",
        return_days=30,
        return_rule="Books and stationery can come back unused for a refund; personalised items cannot.",
        exchange="Send it back within 30 days with a note of what you would like instead and we post the "
        "replacement as soon as it arrives.",
        refund_days="We refund within 3 working days of receiving your return, to the card you paid with.",
        payments="Visa, Mastercard, Maestro, PayPal and Apple Pay",
        instalments="Klarna lets you pay in 3 on orders over £35.",
        contact="Email hello@inkwell.example; we reply within one working day. Our shop in York is open "
        "Tuesday to Saturday.",
        extras=(
            (
                "Do you gift wrap?",
                "Yes, tick gift wrap at checkout: £2.50 per item, with a handwritten card.",
            ),
            (
                "Can you order a book you don't stock?",
                "Yes, most UK books arrive within a week; ask us by email with the title.",
            ),
        ),
    ),
)

BEAUTY = ShopSpec(
    slug="yanzhi",
    name="颜知美妆",
    currency="CNY",
    language="zh-hans",
    prefix="YZ",
    palette=("红色", "粉色", "橘色", "棕色", "紫色"),
    models=(
        Model(
            "LIP",
            "丝绒哑光口红",
            "唇妆",
            "丝绒质地，薄涂显色不拔干。",
            (129, 169),
            ("每支{3.0-3.8}克。",),
            colours=3,
        ),
        Model(
            "LIP",
            "水润唇釉",
            "唇妆",
            "镜面水光效果，含玻尿酸保湿。",
            (99, 129),
            ("容量{5-7}毫升。",),
            colours=2,
        ),
        Model("LIP", "口红收纳盒", "唇妆", "亚克力口红收纳盒，可放24支口红。", (39, 49), (), stock=30),
        Model(
            "LIP",
            "润唇膏",
            "唇妆",
            "无色润唇膏，适合干燥起皮的嘴唇，男女通用。",
            (29, 39),
            ("每支4克。",),
            stock=0,
        ),
        Model(
            "CRM",
            "修护保湿面霜",
            "护肤",
            "适合干皮和敏感肌，冬天用不紧绷。",
            (198, 268),
            ("容量50毫升。", "不含酒精和香精。"),
        ),
        Model(
            "CRM",
            "清爽控油面霜",
            "护肤",
            "质地轻薄，适合油皮和混合皮夏天使用。",
            (158, 198),
            ("容量50毫升。",),
            stock=0,
        ),
        Model(
            "SUN",
            "轻薄防晒乳 SPF50+",
            "护肤",
            "户外出游、海边度假都能用的高倍防晒，防水防汗。",
            (89, 129),
            ("容量{40-60}毫升。", "建议每两小时补涂一次。"),
        ),
        Model(
            "SUN",
            "儿童温和防晒霜",
            "护肤",
            "纯物理防晒，适合3岁以上儿童。",
            (79, 99),
            ("SPF30，容量50毫升。",),
        ),
        Model("CLN", "氨基酸洗面奶", "护肤", "温和洁面，洗后不紧绷。", (59, 79), ("容量{100-150}毫升。",)),
        Model("CLN", "卸妆油", "护肤", "快速溶解彩妆和防晒，遇水乳化。", (99, 139), ("容量200毫升。",)),
        Model("MSK", "补水面膜 10片装", "护肤", "蚕丝面膜，每片精华25毫升。", (69, 89), ("一盒10片。",)),
        Model(
            "FND",
            "持妆粉底液",
            "底妆",
            "轻薄遮瑕，持妆{10-14}小时不暗沉。",
            (219, 279),
            ("容量30毫升。", "有象牙白、自然色两个色号。"),
        ),
        Model("FND", "气垫BB霜", "底妆", "自然提亮肤色，附替换芯。", (139, 169), ("每个15克。",), stock=0),
        Model(
            "BRS", "化妆刷套装 12支", "工具", "人造纤维刷毛，柔软不掉毛，附收纳包。", (89, 119), (), colours=1
        ),
        Model("BRS", "美妆蛋 2个装", "工具", "干湿两用，上妆服帖。", (29, 39), (), colours=1),
        Model(
            "DEV",
            "美容仪 射频导入仪",
            "工具",
            "家用射频美容仪，配合精华使用促进吸收。",
            (599, 799),
            ("充满电可用约{60-90}分钟。", "重量{150-190}克。"),
        ),
        Model(
            "DEV",
            "电动洁面仪",
            "工具",
            "硅胶刷头，声波震动清洁毛孔。",
            (199, 259),
            ("充一次电用{80-120}天。", "IPX7防水。"),
            colours=1,
        ),
        Model(
            "BAG",
            "化妆包",
            "工具",
            "大容量手提化妆包，防水面料，适合出差旅行。",
            (59, 79),
            ("尺寸25×15×12厘米。",),
            colours=2,
        ),
        Model(
            "PER",
            "淡香水 白茶",
            "香氛",
            "清新白茶与柑橘香调，适合日常通勤。",
            (299, 399),
            ("容量{50-100}毫升。",),
        ),
        Model("PER", "香水小样套装", "香氛", "五款热门香水小样，每支2毫升，送礼自用都合适。", (99, 129), ()),
        Model(
            "GFT",
            "护肤礼盒 三件套",
            "礼盒",
            "洗面奶、精华水和面霜三件套，附礼袋和贺卡，适合送妈妈或女朋友。",
            (299, 359),
            (),
        ),
        Model(
            "GFT", "口红礼盒 3支装", "礼盒", "三支热门色号丝绒口红，节日限定礼盒。", (299, 349), (), stock=0
        ),
    ),
    policy=Policy(
        free_over="88",
        standard_fee="10",
        standard_days="2-4天",
        express_fee="12",
        express_days="次日达（部分城市）",
        carriers="中通、顺丰",
        destinations="配送中国大陆所有省份",
        abroad="香港、澳门地区可寄顺丰，运费30元起，5-7天送达；",
        not_abroad="香水含酒精，不能寄往港澳和海外。",
        return_days=7,
        return_rule="未拆封、未使用的商品支持无理由退货；已拆封的护肤品和彩妆出于卫生原因不支持退货，质量问题除外。",
        exchange="色号或型号不合适的，在未拆封的情况下签收7天内可以换货，在订单页申请换货，我们承担换货运费。",
        refund_days="收到退货后2个工作日内退款，支付宝和微信支付原路即时到账，银行卡3-5个工作日。",
        payments="支付宝、微信支付、银联云闪付和Apple Pay",
        instalments="满500元可用花呗分期3期免息。",
        contact="在线客服每天10:00-22:00，电话400-600-8899。",
        extras=(
            ("商品是正品吗？", "全部商品由品牌官方授权，每件都可以在品牌官网查验防伪码。"),
            ("保质期多久？", "未开封保质期3年，开封后建议12个月内用完，具体以包装为准。"),
        ),
    ),
)

BIKES = ShopSpec(
    slug="qixing",
    name="骑行者单车",
    currency="CNY",
    language="zh-hans",
    prefix="QX",
    palette=("黑色", "白色", "红色", "蓝色", "灰色", "绿色"),
    models=(
        Model(
            "MTB",
            "山地自行车 27.5寸",
            "整车",
            "铝合金车架，27速禧玛诺变速，前叉避震，适合越野和通勤。",
            (2199, 2799),
            ("整车重量{13.0-14.5}公斤。", "适合身高165-185厘米。"),
            colours=2,
        ),
        Model(
            "RD",
            "碳纤维公路车",
            "整车",
            "全碳车架，22速，适合长途骑行和训练。",
            (7999, 9999),
            ("整车重量{7.8-8.6}公斤。",),
            colours=1,
            stock=3,
        ),
        Model(
            "FLD",
            "20寸折叠自行车",
            "整车",
            "十秒折叠，可放进汽车后备箱，上下班通勤方便。",
            (1299, 1599),
            ("整车重量{10.5-12.0}公斤。", "折叠后尺寸80×65×35厘米。"),
            colours=2,
        ),
        Model(
            "EB",
            "电助力自行车",
            "整车",
            "中置电机助力，爬坡轻松。",
            (4999, 5999),
            ("锂电池续航约{60-90}公里。", "充满电需要5小时。", "整车重量22公斤。"),
            colours=1,
            stock=0,
        ),
        Model(
            "KID",
            "儿童自行车 16寸",
            "整车",
            "适合4-7岁孩子，带辅助轮。",
            (599, 799),
            ("整车重量{8.0-9.5}公斤。",),
            colours=2,
        ),
        Model(
            "HLM",
            "一体成型骑行头盔",
            "骑行装备",
            "EPS内衬，23个通风孔，夏天不闷热。",
            (199, 269),
            ("重量{240-290}克。", "头围54-62厘米可调。"),
            colours=3,
        ),
        Model(
            "HLM", "儿童头盔", "骑行装备", "卡通图案儿童头盔，适合头围48-54厘米。", (99, 139), (), colours=2
        ),
        Model(
            "GLV",
            "半指骑行手套",
            "骑行装备",
            "掌心硅胶减震，透气速干。",
            (59, 79),
            ("尺码M、L、XL。",),
            colours=1,
        ),
        Model(
            "JRS",
            "长袖骑行服",
            "骑行装备",
            "速干面料，后背三个口袋，带反光条。",
            (199, 259),
            ("尺码S到XXL。",),
            colours=2,
        ),
        Model(
            "JKT",
            "防风骑行外套",
            "骑行装备",
            "轻薄防风防泼水，可收进自带口袋，带兜帽。",
            (229, 299),
            ("重量{150-190}克。",),
            colours=2,
        ),
        Model(
            "LGT",
            "USB充电前车灯",
            "配件",
            "800流明强光车灯，夜骑照得远。",
            (129, 169),
            ("续航{3-5}小时（强光）。", "IPX5防水。"),
        ),
        Model(
            "LGT",
            "智能刹车尾灯",
            "配件",
            "减速自动亮起，提醒后方车辆。",
            (69, 89),
            ("续航{10-15}小时。",),
            stock=0,
        ),
        Model(
            "LCK",
            "U型车锁",
            "配件",
            "加厚钢制锁梁，防剪防撬，附两把钥匙。",
            (89, 119),
            ("重量{1.0-1.4}公斤。",),
        ),
        Model(
            "PMP", "便携打气筒", "配件", "迷你铝合金打气筒，可放进背包。", (49, 69), ("最高气压100 psi。",)
        ),
        Model(
            "PMP",
            "落地式打气筒",
            "配件",
            "带气压表的落地打气筒，打气省力。",
            (129, 159),
            ("最高气压160 psi。",),
        ),
        Model(
            "BTL",
            "运动水壶 750毫升",
            "配件",
            "挤压式水壶，无异味食品级材质。",
            (29, 39),
            ("容量750毫升。",),
            colours=2,
        ),
        Model(
            "CAG",
            "水壶架",
            "配件",
            "铝合金水壶架，适合大多数水壶。",
            (19, 29),
            ("重量{30-45}克。",),
            colours=1,
        ),
        Model("FND", "山地车挡泥板", "配件", "快拆挡泥板，雨天不甩泥。", (39, 59), ("适合26-29寸车轮。",)),
        Model(
            "BAG", "车把包", "配件", "防水车把包，可装手机和钥匙。", (79, 99), ("容量{3-5}升。",), colours=1
        ),
        Model("TUB", "内胎 27.5寸", "配件", "丁基橡胶内胎，法嘴。", (25, 35), (), stock=0),
    ),
    policy=Policy(
        free_over="199",
        standard_fee="15",
        standard_days="3-5天",
        express_fee="25",
        express_days="1-2天",
        carriers="德邦、顺丰",
        destinations="配件配送全国；整车仅配送中国大陆（新疆、西藏除外）",
        abroad="港澳台和海外暂不配送；",
        not_abroad="电助力车的锂电池不能走航空件。",
        return_days=15,
        return_rule="未骑行、未安装的商品可无理由退货；整车退货需保留原包装，来回运费由买家承担，质量问题除外。",
        exchange="车架尺码或头盔、骑行服尺码不合适，签收15天内未使用可换，先在订单页申请，寄回后给您发新的。",
        refund_days="仓库验货后3个工作日内原路退款。",
        payments="支付宝、微信支付、银联和京东白条",
        instalments="整车满2000元可用花呗12期分期。",
        contact="客服热线400-700-3366，每天9:00-20:00；门店地址：成都市武侯区。",
        extras=(
            ("整车需要自己安装吗？", "整车出厂已安装95%，收货后装上车把和脚踏即可，附安装视频。"),
            ("自行车保修多久？", "车架终身保修，零部件保修一年，电池保修两年。"),
        ),
    ),
)

SHOPS: tuple[ShopSpec, ...] = (PET, BOOKS, BEAUTY, BIKES)


# --- files and import ------------------------------------------------------------------


def write_csv(spec: ShopSpec, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    products_path = directory / f"{spec.slug}_products.csv"
    faq_path = directory / f"{spec.slug}_faq.csv"
    with products_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "name", "description", "price", "stock", "category"])
        for p in products(spec):
            writer.writerow([p.sku, p.name, p.description, p.price, p.stock, p.category])
    with faq_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "answer"])
        writer.writerows(faq(spec))
    return products_path, faq_path


def import_shops(directory: Path) -> None:
    """Every generated shop through ``manage.py import_catalog``, as a shop owner runs it
    (Django must be set up)."""
    from django.core.management import call_command

    for spec in SHOPS:
        products_path, faq_path = write_csv(spec, directory)
        call_command(
            "import_catalog",
            str(products_path),
            shop=spec.slug,
            faq=str(faq_path),
            name=spec.name,
            currency=spec.currency,
            language=spec.language,
            no_progress=True,
            stdout=io.StringIO(),
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", nargs="?")
    parser.add_argument("--print", action="store_true", help="print the catalogs and FAQs")
    args = parser.parse_args()
    if args.directory:
        for spec in SHOPS:
            for path in write_csv(spec, Path(args.directory)):
                print(path)
    if args.print or not args.directory:
        for spec in SHOPS:
            print(f"== {spec.slug} {spec.name} {spec.currency} {spec.language}")
            for p in products(spec):
                print(f"{p.sku} | {p.name} | {p.price} | {p.stock} | {p.category} | {p.description}")
            for question, answer in faq(spec):
                print(f"  Q {question} -> {answer}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
