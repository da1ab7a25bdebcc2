"""Quick-reply chips as actions: every chip the built-in assistant offers does what its
label says when tapped, in both languages, and a chip is offered only when it would
change something (docs/contracts.md, "Quick replies")."""

import pytest

from chatbot.vocabulary import quick_reply

from .fakes import make_context


class Chat:
    """One conversation with the assistant: state and history carried between turns,
    as the pipeline does."""

    def __init__(self, adapter, bot, shop):
        self.adapter, self.bot, self.shop = adapter, bot, shop
        self.state, self.history = {}, []

    def send(self, text, action=None):
        context = make_context(self.adapter, self.shop, text, history=self.history, state=self.state)
        context.action = action
        final = list(self.bot.reply(context))[-1]
        self.history += [("shopper", text), ("assistant", final.text)]
        return final

    def tap(self, chip):
        chip = quick_reply(chip)
        return self.send(chip.label, dict(chip.action))


def chips(final):
    return [quick_reply(option) for option in final.quick_replies]


def chip_of(final, kind, **fields):
    for chip in chips(final):
        if chip.action.get("type") == kind and all(chip.action.get(k) == v for k, v in fields.items()):
            return chip
    raise AssertionError(f"no {kind} {fields} chip in {[c.as_dict() for c in chips(final)]}")


@pytest.fixture
def chat(adapter, bot):
    return lambda shop="en-shop": Chat(adapter, bot, shop)


SEARCHES = {"en-shop": "show me your jackets", "zh-shop": "有什么茶叶"}
LABELS = {
    "en-shop": {
        "cheapest": "Cheapest first",
        "in_stock": "In stock only",
        "similar": "Similar ones in stock",
    },
    "zh-shop": {"cheapest": "便宜的优先", "in_stock": "只看有货", "similar": "看看有货的同类"},
}


@pytest.mark.parametrize("shop", ["en-shop", "zh-shop"])
def test_cheapest_first_sorts_the_same_products_by_price(chat, shop):
    talk = chat(shop)
    first = talk.send(SEARCHES[shop])
    chip = chip_of(first, "refine", sort="price_asc")
    assert chip.label == LABELS[shop]["cheapest"]
    after = talk.tap(chip)
    prices = [float(c.price) for c in after.products]
    assert prices == sorted(prices) and len(prices) > 1
    assert {c.sku for c in after.products} == {c.sku for c in first.products}
    # Already cheapest first: the chip is not offered again.
    assert not [c for c in chips(after) if c.action.get("sort") == "price_asc"]


@pytest.mark.parametrize("shop", ["en-shop", "zh-shop"])
def test_in_stock_only_drops_what_is_sold_out_and_keeps_the_search(chat, shop):
    talk = chat(shop)
    first = talk.send(SEARCHES[shop])
    assert any(not c.in_stock for c in first.products)
    chip = chip_of(first, "refine", in_stock=True)
    assert chip.label == LABELS[shop]["in_stock"]
    after = talk.tap(chip)
    assert after.products and all(c.in_stock for c in after.products)
    assert {c.sku for c in after.products} < {c.sku for c in first.products}
    assert not [c for c in chips(after) if c.action.get("in_stock")]


@pytest.mark.parametrize(
    ("shop", "question"),
    [("en-shop", "is the Down Puffer Jacket in stock?"), ("zh-shop", "云南普洱熟茶饼有货吗")],
)
def test_similar_in_stock_after_a_sold_out_product(chat, adapter, shop, question):
    talk = chat(shop)
    first = talk.send(question)
    assert [c.in_stock for c in first.products] == [False]
    chip = chip_of(first, "refine", in_stock=True)
    assert chip.label == LABELS[shop]["similar"]
    category = chip.action["category"]
    after = talk.tap(chip)
    products = {p.sku: p for p in adapter.list_products(shop)}
    assert after.products and all(c.in_stock for c in after.products)
    assert all(products[c.sku].category == category for c in after.products)


@pytest.mark.parametrize(
    ("shop", "topic", "label", "says"),
    [
        ("en-shop", "shipping", "Shipping", "3-5 business days"),
        ("en-shop", "refund", "Returns", "30 days"),
        ("zh-shop", "shipping", "配送说明", "48小时内发货"),
        ("zh-shop", "refund", "退换货", "7天内"),
    ],
)
def test_faq_chips_answer_their_topic(chat, shop, topic, label, says):
    talk = chat(shop)
    first = talk.send("hello" if shop == "en-shop" else "你好")
    chip = chip_of(first, "faq", topic=topic)
    assert chip.label == label
    after = talk.tap(chip)
    assert after.intent == "faq" and says in after.text
    # The topic just answered is not offered again.
    assert not [c for c in chips(after) if c.action.get("topic") == topic]


@pytest.mark.parametrize(("shop", "label"), [("en-shop", "Talk to a person"), ("zh-shop", "转人工")])
def test_person_chip_hands_off(chat, shop, label):
    talk = chat(shop)
    chip = chip_of(talk.send("hi" if shop == "en-shop" else "你好"), "handoff")
    assert chip.label == label
    after = talk.tap(chip)
    assert after.handoff and after.intent == "handoff"


@pytest.mark.parametrize(("shop", "label"), [("en-shop", "Track my order"), ("zh-shop", "查询订单")])
def test_track_my_order_chip_asks_its_words(chat, shop, label):
    talk = chat(shop)
    chip = chip_of(talk.send("hi" if shop == "en-shop" else "你好"), "ask")
    assert chip.label == label
    after = talk.tap(chip)
    assert after.intent == "order_status"


@pytest.mark.parametrize(
    ("shop", "question"), [("en-shop", "do you sell surfboards?"), ("zh-shop", "有没有滑雪板")]
)
def test_category_chips_browse_that_category(chat, adapter, shop, question):
    talk = chat(shop)
    first = talk.send(question)
    category_chips = chips(first)
    assert category_chips and all(c.action == {"type": "ask"} for c in category_chips)
    products = {p.sku: p for p in adapter.list_products(shop)}
    for chip in category_chips:
        after = Chat(talk.adapter, talk.bot, shop).tap(chip)
        assert after.products, chip.label
        assert products[after.products[0].sku].category == chip.label


@pytest.mark.parametrize(
    ("shop", "question"),
    [("en-shop", "how much is the Storm Shell Rain Jacket?"), ("zh-shop", "紫砂壶多少钱")],
)
def test_no_stock_chip_after_an_answer_that_told_the_stock(chat, shop, question):
    final = chat(shop).send(question)
    assert final.products[0].in_stock
    labels = [c.label for c in chips(final)]
    assert "Is it in stock?" not in labels and "有货吗？" not in labels
    assert not [c for c in chips(final) if c.action.get("in_stock")]


def test_a_plain_string_from_another_assistant_is_an_ask_chip():
    assert quick_reply("Shipping?").as_dict() == {"label": "Shipping?", "action": {"type": "ask"}}
    stored = {"label": "只看有货", "action": {"type": "refine", "in_stock": True}}
    assert quick_reply(stored).as_dict() == stored


def test_a_list_with_nothing_in_stock_offers_the_same_kind_in_stock(adapter, bot):
    talk = Chat(adapter, bot, "en-shop")
    shown = talk.send("duffel bags")
    assert [c.sku for c in shown.products] == ["EN-BAG-2"]  # sold out
    assert not any(c.action.get("in_stock") and "category" not in c.action for c in chips(shown))
    similar = talk.tap(chip_of(shown, "refine", in_stock=True, category="Bags"))
    assert [c.sku for c in similar.products] == ["EN-BAG-1"]
