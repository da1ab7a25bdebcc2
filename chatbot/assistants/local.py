"""The built-in shop assistant: grounded only in the shop's own data, no network.

It reads the message (:mod:`chatbot.knowledge.intents`, ``prices``), looks things up
with the same tools the LLM assistants call (:mod:`chatbot.tools`), and answers in the
shopper's language (:mod:`chatbot.knowledge.phrases`). Everything it states — names,
prices, stock, policies, orders — is copied from the shop; when nothing fits it says so
and asks, it does not guess. Instructions inside a message are just words to it: there
is no prompt to override, and orders always come from the signed-in customer's own list.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .. import tools
from ..adapters import FaqInfo, ProductInfo
from ..knowledge import intents
from ..knowledge.index import Concept, Hit, ShopIndex, colour_terms, shop_index
from ..knowledge.lexicon import ASPECTS, COLOURS
from ..knowledge.phrases import colour_name, money, order_status_name, say, stock_state
from ..knowledge.prices import PriceQuery, parse_prices
from ..knowledge.text import chunk_for_streaming, clean, detect_language, latin_words
from ..vocabulary import (
    AssistantEvent,
    FinalReply,
    HandoffRequested,
    ProductCard,
    ProductCards,
    QuickReplies,
    TextDelta,
    Thinking,
)
from .base import AssistantContext, AssistantError, ShopAssistant

logger = logging.getLogger(__name__)

_SKU_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{2,}")
_ORDER_TOPICS = frozenset({"order_status", "cancel"})
_HANDOFF_TOPICS = frozenset({"handoff", "complaint"})
_HISTORY_TURNS = 6
# Words that end a conversation rather than thank for an answer.
_GOODBYE = re.compile(r"\b(?:bye|goodbye|see you|later)\b|再见|拜拜", re.I)


@dataclass
class Answer:
    text: str
    intent: str
    cards: list[ProductCard] = field(default_factory=list)
    quick_replies: list[str] = field(default_factory=list)
    handoff: bool = False
    handoff_reason: str = ""
    focus: list[str] = field(default_factory=list)  # SKUs a follow-up question may mean


@dataclass
class Turn:
    """One message being answered, with what was read from it."""

    context: AssistantContext
    text: str
    lang: str
    index: ShopIndex
    prices: PriceQuery
    concepts: list[Concept]
    aspects: tuple[str, ...]
    shopping: bool
    _hits: list[Hit] | None = None

    @property
    def hits(self) -> list[Hit]:
        """The product search for this message, run once however often it is needed."""
        if self._hits is None:
            self._hits = self.index.product_index.search(self.concepts) if self.concepts else []
        return self._hits

    @property
    def currency(self) -> str:
        return self.context.shop.currency

    def price(self, product: ProductInfo) -> str:
        return money(product.price, self.currency)

    def say(self, key: str, **values: object) -> str:
        return say(key, self.lang, shop=self.context.shop.name, **values)


class LocalShopAssistant(ShopAssistant):
    name = "local"
    computes_whole_reply = True  # ranks in CPU and the database, then yields without waiting

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.max_results = int(options.get("max_results", 5))
        self.chunk_chars = int(options.get("chunk_chars", 24))

    def reply(self, context: AssistantContext) -> Iterator[AssistantEvent]:
        yield Thinking()
        try:
            answer = self.compose(context)
        except AssistantError:
            raise
        except Exception as exc:
            logger.exception("Local assistant failed in shop %s", context.shop.id)
            raise AssistantError(
                "The shop assistant could not read the shop's data.", retryable=True, code="local_failed"
            ) from exc
        for chunk in chunk_for_streaming(answer.text, self.chunk_chars):
            if context.stop_requested():
                break
            yield TextDelta(chunk)
        if answer.cards:
            yield ProductCards(tuple(answer.cards))
        if answer.quick_replies:
            yield QuickReplies(tuple(answer.quick_replies))
        if answer.handoff:
            yield HandoffRequested(answer.handoff_reason)
        if answer.focus:
            context.state["last_skus"] = answer.focus[:5]
        yield FinalReply(
            text=answer.text,
            intent=answer.intent,
            products=tuple(answer.cards),
            quick_replies=tuple(answer.quick_replies),
            handoff=answer.handoff,
        )

    # --- reading the message ---------------------------------------------------------

    def compose(self, context: AssistantContext) -> Answer:
        text = clean(context.message)
        lang = detect_language(text, context.language or context.shop.language)
        if not text:
            return self._greeting(context, lang)
        if intents.is_only_symbols(text):
            return Answer(say("symbols", lang), "smalltalk", quick_replies=_menu(lang))
        if intents.is_greeting(text):
            return self._greeting(context, lang)
        if intents.is_smalltalk(text):
            key = "goodbye" if _GOODBYE.search(text) else "thanks"
            return Answer(say(key, lang, shop=context.shop.name), "smalltalk")

        index = shop_index(context.adapter, context.shop.id)
        prices = parse_prices(text)
        number = intents.order_number(text)
        if number in prices.numbers:
            number = None
        guess = intents.support_guess(text, index.product_words, index.known_words)
        skip = prices.numbers + ((number,) if number and guess.topic in _ORDER_TOPICS else ())
        turn = Turn(
            context=context,
            text=text,
            lang=lang,
            index=index,
            prices=prices,
            concepts=index.concepts(text, skip=skip),
            aspects=intents.aspects(text),
            shopping=intents.has_shopping_cue(text),
        )
        return self._decide(turn, guess, number)

    def _decide(self, turn: Turn, guess: intents.SupportGuess, number: str | None) -> Answer:
        index = turn.index
        topic = guess.topic
        if topic in _HANDOFF_TOPICS and guess.strong:
            return self._handoff(turn, topic)
        if topic in _ORDER_TOPICS and guess.strong:
            return self._orders(turn, topic, number)
        if topic and guess.strong and topic != "size_guide":
            return self._faq(turn, topic)
        named = self._named_products(turn)
        if topic in _ORDER_TOPICS and number and not named:
            return self._orders(turn, topic, number)
        if topic == "size_guide" and guess.strong and not named:
            return self._faq(turn, topic)

        back = intents.refers_back(turn.text)
        if named and turn.aspects and not turn.prices.sort:
            return self._about(turn, named)
        if back is not None and (turn.aspects or not turn.concepts):
            earlier = self._earlier_products(turn)
            if earlier:
                chosen = earlier[back] if back < len(earlier) else earlier[0]
                return self._about(turn, [chosen])
        if topic and not named:
            if topic in _HANDOFF_TOPICS:
                return self._handoff(turn, topic)
            if topic in _ORDER_TOPICS:
                return self._orders(turn, topic, number)
            # A support word beats products that only share a word of their description
            # ("shipping options" vs a tent that "ships with a stuff sack").
            if not any(hit and hit.name_matched for _, hit in self._matches(turn, lenient=False)):
                return self._faq(turn, topic)
        if intents.is_off_topic(turn.text) and not named:
            return self._out_of_scope(turn)
        entry = self._faq_by_words(turn) if turn.concepts and index.faq else None
        if entry is not None and not named and not turn.shopping and not turn.prices.has_limit:
            return Answer(entry.answer, "faq", quick_replies=_menu(turn.lang))
        if named or (turn.concepts and self._matches(turn, lenient=turn.shopping)):
            return self._search(turn)
        if entry is not None:
            return Answer(entry.answer, "faq", quick_replies=_menu(turn.lang))
        if turn.prices.has_limit or turn.prices.sort or (turn.shopping and not turn.concepts):
            return self._search(turn)
        if turn.aspects and not turn.concepts:
            return Answer(turn.say("which_product"), "product_question")
        if turn.shopping and turn.concepts:
            return self._no_match(turn)
        return self._out_of_scope(turn)

    # --- products ----------------------------------------------------------------------

    def _named_products(self, turn: Turn) -> list[ProductInfo]:
        """Products the shopper names outright: by SKU, or every word of theirs is in the
        product's name. Several when the name fits several equally well."""
        for token in _SKU_TOKEN.findall(turn.text):
            product = turn.index.product_by_sku(token)
            if product is not None:
                return [product]
        concepts = turn.concepts
        if not concepts:
            return []
        hits = turn.hits[:6]
        full = [h for h in hits if h.name_matched == len(concepts) and h.matched == len(concepts)]
        if not full:
            return []
        # One word like "jacket" names a kind of product, not one product, unless the
        # shopper asks about it ("金骏眉多少钱").
        if len(concepts) == 1 and len(full) > 1 and not turn.aspects:
            return []
        top = full[0]
        close = [h for h in full if h.score >= top.score * 0.8]
        return [turn.index.products[h.doc] for h in close[:3]]

    def _matches(self, turn: Turn, *, lenient: bool) -> list[tuple[ProductInfo, Hit | None]]:
        found, _ = tools.find_products(
            turn.index, concepts=turn.concepts, limit=self.max_results, lenient=lenient
        )
        return found

    def _earlier_products(self, turn: Turn) -> list[ProductInfo]:
        """What "it" / "那个" means: the products of the previous answer."""
        context = turn.context
        remembered = [turn.index.product_by_sku(sku) for sku in context.state.get("last_skus") or []]
        products = [p for p in remembered if p is not None]
        if products:
            return products
        for past in reversed(context.history[-_HISTORY_TURNS:]):
            if past.role != "assistant" or not past.text:
                continue
            said = past.text.lower()
            found = [(said.find(p.name.lower()), p) for p in turn.index.products if p.name]
            mentioned = sorted((pos, p.sku, p) for pos, p in found if pos >= 0)
            if mentioned:
                return [p for _, _, p in mentioned]
        return []

    def _search(self, turn: Turn) -> Answer:
        index = turn.index
        lang = turn.lang
        if not index.products:
            return Answer(turn.say("empty_shop"), "product_search", quick_replies=_menu(lang))
        prices = turn.prices
        want_in_stock = "stock" in turn.aspects
        sort = prices.sort or "relevance"
        found, _ = tools.find_products(
            index,
            concepts=turn.concepts,
            hits=turn.hits,
            min_price=prices.min_price,
            max_price=prices.max_price,
            in_stock_only=want_in_stock,
            limit=max(self.max_results * 4, 20),
            sort=sort,
            lenient=True,
        )
        qualifier = self._qualifier(turn, want_in_stock)
        if not found:
            return self._nothing_within_limits(turn, qualifier, want_in_stock)
        products = [p for p, _ in found]
        lead = ""
        wanted_colours = colour_terms(turn.text.lower(), latin_words(turn.text))
        if wanted_colours:
            coloured = [
                p
                for p in products
                if wanted_colours & colour_terms(_product_text(p), latin_words(_product_text(p)))
            ]
            if coloured:
                products = coloured + [p for p in products if p not in coloured]
            else:
                names = ", ".join(colour_name(c.split(":", 1)[1], lang) for c in sorted(wanted_colours))
                lead = turn.say("colour_missing", colour=names) + "\n"
        shown = products[: self.max_results]
        lines = [lead + turn.say("results", qualifier=qualifier)]
        lines.extend(self._line(turn, p) for p in shown)
        quick = [say("qr_cheapest", lang)] if sort != "price_asc" else []
        if not want_in_stock and any(not p.in_stock for p in shown):
            quick.append(say("qr_in_stock", lang))
        quick.append(say("qr_shipping", lang))
        intent = "product_question" if turn.aspects and len(shown) == 1 else "product_search"
        return Answer(
            "\n".join(lines),
            intent,
            cards=[tools.product_card(p, turn.currency) for p in shown],
            quick_replies=quick,
            focus=[p.sku for p in shown],
        )

    def _nothing_within_limits(self, turn: Turn, qualifier: str, want_in_stock: bool) -> Answer:
        """Nothing fits the limits: say so, and name the nearest real product if the words
        alone match something, instead of showing what was not asked for."""
        lang = turn.lang
        if turn.concepts:
            loose, _ = tools.find_products(
                turn.index, concepts=turn.concepts, hits=turn.hits, limit=20, sort="price_asc", lenient=True
            )
        else:
            loose, _ = tools.find_products(turn.index, limit=20, sort="price_asc")
        if not loose:
            return self._no_match(turn)
        if turn.prices.has_limit:
            cheapest = loose[0][0]
            text = turn.say(
                "none_in_price", qualifier=qualifier, name=cheapest.name, price=turn.price(cheapest)
            )
        else:
            nearest = loose[0][0]
            text = turn.say("none_in_stock", name=nearest.name, price=turn.price(nearest))
        return Answer(
            text, "product_search", quick_replies=[say("qr_person", lang), say("qr_shipping", lang)]
        )

    def _qualifier(self, turn: Turn, in_stock: bool) -> str:
        prices = turn.prices
        parts = []
        if prices.min_price is not None and prices.max_price is not None:
            parts.append(
                turn.say(
                    "between",
                    low=money(prices.min_price, turn.currency),
                    high=money(prices.max_price, turn.currency),
                )
            )
        elif prices.max_price is not None:
            parts.append(turn.say("under", amount=money(prices.max_price, turn.currency)))
        elif prices.min_price is not None:
            parts.append(turn.say("over", amount=money(prices.min_price, turn.currency)))
        if prices.sort == "price_asc":
            parts.append(turn.say("cheapest_first"))
        elif prices.sort == "price_desc":
            parts.append(turn.say("dearest_first"))
        if in_stock:
            parts.append(turn.say("in_stock_only"))
        return "".join(parts)

    def _line(self, turn: Turn, product: ProductInfo) -> str:
        return turn.say(
            "line", name=product.name, price=turn.price(product), stock=stock_state(product.stock, turn.lang)
        )

    def _about(self, turn: Turn, products: list[ProductInfo]) -> Answer:
        """A question about one named product (or a few equally named ones)."""
        lang = turn.lang
        if len(products) > 1:
            lines = [turn.say("results", qualifier="")]
            lines.extend(self._line(turn, p) for p in products)
            return Answer(
                "\n".join(lines),
                "product_question",
                cards=[tools.product_card(p, turn.currency) for p in products],
                focus=[p.sku for p in products],
            )
        # Stock moves between catalog versions: read this product fresh.
        fresh = turn.context.adapter.get_product(turn.context.shop.id, products[0].sku) or products[0]
        product = fresh
        price = turn.price(product)
        stock = stock_state(product.stock, lang)
        asked = set(turn.aspects)
        extra: list[str] = []
        if "stock" in asked:
            if product.in_stock:
                text = turn.say("stock_yes", name=product.name, stock=stock, price=price)
            else:
                text = turn.say("stock_no", name=product.name, price=price)
                alternatives = self._alternatives(turn, product)
                if alternatives:
                    extra.append(turn.say("alternatives", names=", ".join(alternatives)))
        elif asked & {"size", "material", "colour", "details"}:
            facts = _facts(product.description, asked) or product.description
            text = turn.say("about", name=product.name, price=price, stock=stock, facts=facts).strip()
            if "size" in asked:
                guide = tools.faq_matches(turn.index, turn.text, "size_guide", limit=1)
                if guide and not _facts(product.description, {"size"}):
                    extra.append(turn.say("size_guide", answer=guide[0].answer))
        elif "price" in asked:
            text = turn.say("price", name=product.name, price=price, stock=stock)
        else:
            facts = _first_sentence(product.description)
            text = turn.say("about", name=product.name, price=price, stock=stock, facts=facts).strip()
        quick = [say("qr_stock", lang)] if "stock" not in asked else [say("qr_shipping", lang)]
        return Answer(
            _join(lang, [text, *extra]),
            "product_question",
            cards=[tools.product_card(product, turn.currency)],
            quick_replies=quick,
            focus=[product.sku],
        )

    def _alternatives(self, turn: Turn, product: ProductInfo) -> list[str]:
        found, _ = tools.find_products(
            turn.index, category=product.category or None, in_stock_only=True, limit=4
        )
        return [p.name for p, _ in found if p.sku != product.sku][:3]

    def _no_match(self, turn: Turn) -> Answer:
        if not turn.index.products:
            return Answer(turn.say("empty_shop"), "product_search", quick_replies=_menu(turn.lang))
        categories = sorted(turn.index.categories.values())[:4]
        return Answer(turn.say("no_match"), "product_search", quick_replies=categories or _menu(turn.lang))

    # --- orders, policies, people ---------------------------------------------------------

    def _orders(self, turn: Turn, topic: str | None, number: str | None) -> Answer:
        context = turn.context
        lang = turn.lang
        policy = self._policy(turn, "cancel") if topic == "cancel" else None
        if not context.shopper.is_signed_in:
            parts = [turn.say("sign_in")]
            if policy:
                parts.append(policy)
            return Answer(_join(lang, parts), "order_status", quick_replies=[say("qr_person", lang)])
        result = tools.order_status(context, number=number)
        if result.get("error") == "not_found":
            return Answer(
                turn.say("order_not_found", number=number),
                "order_status",
                quick_replies=[say("qr_orders", lang), say("qr_person", lang)],
            )
        order = result.get("order")
        if not order:
            return Answer(turn.say("no_orders"), "order_status", quick_replies=_menu(lang))
        parts = [self._order_text(turn, order)]
        if topic == "cancel":
            status = order["status"]
            if status in ("pending", "paid"):
                parts.append(turn.say("cancel_open", number=order["number"]))
            elif status in ("shipped", "delivered"):
                parts.append(
                    turn.say("cancel_shipped", number=order["number"], status=order_status_name(status, lang))
                )
            if policy:
                parts.append(policy)
            parts.append(turn.say("ask_person"))
        elif not number and len(result["orders"]) > 1:
            others = ", ".join(
                f"{o['number']} ({order_status_name(o['status'], lang)})" for o in result["orders"][1:4]
            )
            parts.append(turn.say("other_orders", orders=others))
        quick = [say("qr_person", lang)] if topic == "cancel" else [say("qr_shipping", lang)]
        return Answer(_join(lang, parts), "order_status", quick_replies=quick)

    def _order_text(self, turn: Turn, order: dict[str, Any]) -> str:
        shipped = order["shipped_at"]
        return turn.say(
            "order",
            number=order["number"],
            status=order_status_name(order["status"], turn.lang),
            placed=order["placed_at"][:10],
            shipped=turn.say("shipped_on", date=shipped[:10]) if shipped else "",
            carrier=turn.say("carrier", carrier=order["carrier"]) if order["carrier"] else "",
            tracking=turn.say("tracking", tracking=order["tracking_number"])
            if order["tracking_number"]
            else "",
            total=money(Decimal(order["total"]), order["currency"] or turn.currency),
        )

    def _policy(self, turn: Turn, topic: str) -> str | None:
        entries = tools.faq_matches(turn.index, turn.text, topic, limit=1)
        return entries[0].answer if entries else None

    def _faq(self, turn: Turn, topic: str) -> Answer:
        lang = turn.lang
        answer = self._policy(turn, topic)
        if answer is None:
            return Answer(turn.say("no_faq"), "faq", quick_replies=[say("qr_person", lang)])
        quick = [q for q in _menu(lang) if q != _menu_label(topic, lang)]
        text = answer
        if topic in ("refund", "contact"):
            quick = [say("qr_person", lang), *quick]
        if topic == "refund" and turn.context.shopper.is_signed_in:
            text = _join(lang, [answer, turn.say("ask_person")])
        return Answer(text, "faq", quick_replies=list(dict.fromkeys(quick))[:4])

    def _faq_by_words(self, turn: Turn) -> FaqInfo | None:
        """An FAQ entry that most of the shopper's words appear in, for topics the word lists
        do not know ("gift wrapping")."""
        hits = turn.index.faq_index.search(turn.concepts)
        if hits and hits[0].name_matched / len(turn.concepts) > 0.5:
            return turn.index.faq[hits[0].doc]
        return None

    def _handoff(self, turn: Turn, topic: str | None) -> Answer:
        reason = "complaint" if topic == "complaint" else "shopper asked for a person"
        tools.request_handoff(turn.context, reason)
        text = (turn.say("sorry") if topic == "complaint" else "") + turn.say("handoff")
        return Answer(text, "handoff", handoff=True, handoff_reason=reason)

    def _greeting(self, context: AssistantContext, lang: str) -> Answer:
        name = context.shopper.display_name if context.shopper.is_signed_in else ""
        name = f" {name}" if name and lang == "en" else name
        return Answer(
            say("greeting", lang, shop=context.shop.name, name=name), "greeting", quick_replies=_menu(lang)
        )

    def _out_of_scope(self, turn: Turn) -> Answer:
        return Answer(turn.say("out_of_scope"), "out_of_scope", quick_replies=_menu(turn.lang))


def _join(lang: str, parts: list[str]) -> str:
    return ("" if lang == "zh" else " ").join(p for p in parts if p)


def _menu(lang: str) -> list[str]:
    return [say("qr_orders", lang), say("qr_shipping", lang), say("qr_returns", lang), say("qr_person", lang)]


def _menu_label(topic: str, lang: str) -> str:
    key = {"shipping": "qr_shipping", "refund": "qr_returns", "payment": "qr_payment"}.get(topic, "")
    return say(key, lang) if key else ""


def _product_text(product: ProductInfo) -> str:
    return f"{product.name} {product.description}".lower()


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?。！？；;])\s*", text) if s.strip()]


def _first_sentence(text: str) -> str:
    sentences = _sentences(text)
    return sentences[0] if sentences else ""


def _facts(description: str, asked: set[str]) -> str:
    """Sentences of the description about what was asked (size, material, colour)."""
    words: list[str] = []
    for aspect in asked:
        en, zh = ASPECTS.get(aspect, ((), ()))
        words.extend(en)
        words.extend(zh)
    if "colour" in asked:
        for variants in COLOURS.values():
            words.extend(variants)
    picked = []
    for sentence in _sentences(description):
        lowered = sentence.lower()
        tokens = set(latin_words(lowered))
        if any((w in tokens) if w.isascii() else (w in lowered) for w in words):
            picked.append(sentence)
    return " ".join(picked)
