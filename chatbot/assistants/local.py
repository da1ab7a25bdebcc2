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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from .. import tools
from ..adapters import FaqInfo, ProductInfo
from ..knowledge import facts, intents
from ..knowledge.index import Concept, Hit, ShopIndex, colour_terms, required_count, shop_index
from ..knowledge.lexicon import (
    ASPECTS,
    COLOURS,
    FACT_ASPECTS,
    NEEDS,
    ZH_PLURAL_REFERENCES,
    ZH_REFERENCES,
)
from ..knowledge.phrases import colour_name, money, order_status_name, say, stock_state
from ..knowledge.prices import PriceQuery, parse_prices
from ..knowledge.text import chunk_for_streaming, cjk_runs, clean, detect_language, latin_words, stem
from ..vocabulary import (
    AssistantEvent,
    FinalReply,
    HandoffRequested,
    ProductCard,
    ProductCards,
    QuickReplies,
    QuickReply,
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
# "only the ones in stock", "只看有货": narrowing what was shown, not asking about it.
_ONLY = re.compile(r"\b(?:only|just)\b|只|仅", re.I)
_EXPLICIT_PRICE = re.compile(r"\b(?:price|cost|costs|dollars?|usd)\b|钱|价", re.I)
# The sorts a refine action may ask for (docs/contracts.md, "Quick replies").
_SORTS = ("relevance", "price_asc", "price_desc")
_UNIT = re.compile(r"^\d|^(?:cm|mm|kg|ml|xl|xs|oz|in)$")
_FAQ_TOPICS = ("shipping", "refund", "payment", "contact", "warranty", "size_guide", "cancel")
_COLOUR_WORDS = frozenset(word for words in COLOURS.values() for word in words)
# Words that point at a shown product ("the second one") rather than name one.
# Words that point back at what was shown ("它们多少钱"): never a thing to search for.
_POINTING_WORDS = frozenset(
    {"first", "second", "third", "2nd", "3rd", "last", "other", *ZH_REFERENCES, *ZH_PLURAL_REFERENCES}
)
# "which one is the cheapest?", "最便宜的是哪个": a question about the products shown.
_WHICH = re.compile(r"\bwhich\b|哪", re.I)


@dataclass
class Answer:
    text: str
    intent: str
    cards: list[ProductCard] = field(default_factory=list)
    quick_replies: list[QuickReply] = field(default_factory=list)
    handoff: bool = False
    handoff_reason: str = ""
    focus: list[str] = field(default_factory=list)  # SKUs a follow-up question may mean
    search: Search | None = None  # the product search this answer shows, for follow-ups
    topic: str = ""  # what the answer was about (an FAQ topic, "orders"…), for follow-ups
    declined: bool = False  # "couldn't find that": counted as unanswered in chatbot.stats


@dataclass(frozen=True)
class Search:
    """A product search: the shopper's words and the active filters. Kept in the
    conversation's state, so a follow-up ("cheaper ones", "有红色的吗") or a chip can change
    one filter and run it again."""

    words: str = ""
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool = False
    sort: str | None = None
    colours: tuple[str, ...] = ()  # canonical colour names ("red") the shopper wants
    exclude_colours: tuple[str, ...] = ()
    exclude_words: tuple[str, ...] = ()  # stems: "without a hood" -> "hood"
    category: str | None = None

    def as_state(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "words": self.words,
            "in_stock": self.in_stock,
            "sort": self.sort,
            "colours": list(self.colours),
            "exclude_colours": list(self.exclude_colours),
            "exclude_words": list(self.exclude_words),
            "category": self.category,
        }
        data["min_price"] = str(self.min_price) if self.min_price is not None else None
        data["max_price"] = str(self.max_price) if self.max_price is not None else None
        return data

    @classmethod
    def from_state(cls, data: Any) -> Search | None:
        if not isinstance(data, dict):
            return None
        return cls(
            words=str(data.get("words") or ""),
            min_price=_amount(data.get("min_price")),
            max_price=_amount(data.get("max_price")),
            in_stock=bool(data.get("in_stock")),
            sort=data.get("sort") if data.get("sort") in _SORTS else None,
            colours=tuple(str(c) for c in data.get("colours") or ()),
            exclude_colours=tuple(str(c) for c in data.get("exclude_colours") or ()),
            exclude_words=tuple(str(w) for w in data.get("exclude_words") or ()),
            category=str(data["category"]) if data.get("category") else None,
        )


def _amount(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() and amount >= 0 else None


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
    guess: intents.SupportGuess = field(default_factory=intents.SupportGuess)
    number: str | None = None
    exclusion: intents.Exclusion = field(default_factory=intents.Exclusion)
    fact_aspects: tuple[str, ...] = ()
    core_concepts: list[Concept] = field(default_factory=list)  # without the fact words
    _hits: list[Hit] | None = None
    _named: list[ProductInfo] | None = None

    @property
    def hits(self) -> list[Hit]:
        """The product search for this message, run once however often it is needed."""
        if self._hits is None:
            self._hits = self.index.search_products(self.concepts, self.exclusion.rest)
        return self._hits

    @property
    def topic(self) -> str | None:
        return self.guess.topic

    @property
    def action(self) -> dict[str, Any] | None:
        action = getattr(self.context, "action", None)
        return action if isinstance(action, dict) else None

    @property
    def wanted_colours(self) -> tuple[str, ...]:
        """Colours asked for by a colour word ("blue", "白色"), not inside another word
        ("绿茶" is a tea)."""
        found = set()
        for concept in self.concepts:
            if _is_colour(concept):
                found |= {t.split(":", 1)[1] for t, _ in concept.alternatives if t.startswith("colour:")}
        return tuple(sorted(found))

    @property
    def last_search(self) -> Search | None:
        return Search.from_state(self.context.state.get("search"))

    @property
    def currency(self) -> str:
        return self.context.shop.currency

    def price(self, product: ProductInfo) -> str:
        return money(product.price, self.currency)

    def say(self, key: str, **values: object) -> str:
        return say(key, self.lang, shop=self.context.shop.name, **values)

    def fresh_search(self) -> Search:
        """The search this message asks for on its own."""
        return Search(
            words=self.exclusion.rest,
            min_price=self.prices.min_price,
            max_price=self.prices.max_price,
            in_stock="stock" in self.aspects,
            sort=self.prices.sort,
            colours=self.wanted_colours,
            exclude_colours=tuple(sorted(self.exclusion.colours)),
            exclude_words=self.exclusion.words,
        )


Rule = Callable[["LocalShopAssistant", Turn], "Answer | None"]


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
        self._remember(context, answer)
        yield FinalReply(
            text=answer.text,
            intent=answer.intent,
            products=tuple(answer.cards),
            quick_replies=tuple(answer.quick_replies),
            handoff=answer.handoff,
            declined=answer.declined or answer.intent == "out_of_scope",
        )

    def _remember(self, context: AssistantContext, answer: Answer) -> None:
        """The conversation state a follow-up or a chip works on: the products last shown,
        the search (words and filters) behind them and the last topic."""
        if answer.focus:
            context.state["last_skus"] = answer.focus[:5]
        if answer.search is not None:
            context.state["search"] = answer.search.as_state()
        if answer.topic or answer.intent in ("faq", "order_status", "handoff"):
            context.state["topic"] = answer.topic or answer.intent

    # --- reading the message ---------------------------------------------------------

    def compose(self, context: AssistantContext) -> Answer:
        text = clean(context.message)
        fallback = context.language or context.shop.language
        lang = detect_language(text, fallback)
        action = getattr(context, "action", None)
        if (
            action
            and action.get("type") == "ask"
            and isinstance(action.get("text"), str)
            and action["text"].strip()
        ):
            text = clean(action["text"])  # an ask chip may carry a fuller question than its label
            lang = detect_language(text, fallback)
        if not text:
            return self._greeting(context, lang)
        if action is None or action.get("type") == "ask":
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
        if number and intents.has_lettered_order_number(text) and _only_number(text, number):
            lang = detect_language("", fallback)  # "XH88231" alone: the shop's language
        guess = intents.support_guess(text, index.product_words, index.known_words)
        skip: tuple[str, ...] = prices.numbers
        if number and (guess.topic in _ORDER_TOPICS or intents.has_lettered_order_number(text)):
            skip += (number, *re.split(r"[-\s#]+", number.lower()))
        exclusion = intents.exclusions(text)
        concepts = [c for c in index.concepts(exclusion.rest, skip=skip) if c.word not in _POINTING_WORDS]
        fact_aspects = intents.fact_aspects(text)
        word_aspects = intents.aspects(text)
        return self._decide(
            Turn(
                context=context,
                text=text,
                lang=lang,
                index=index,
                prices=prices,
                concepts=concepts,
                aspects=word_aspects,
                shopping=intents.has_shopping_cue(text),
                guess=guess,
                number=number,
                exclusion=exclusion,
                fact_aspects=fact_aspects,
                # A count word ("一支", "两个") never names the product asked about.
                core_concepts=[
                    c for c in _without_fact_words(concepts, exclusion.rest) if not _QUANTITY.match(c.word)
                ]
                if fact_aspects
                else concepts,
            )
        )

    def _decide(self, turn: Turn) -> Answer:
        """The first rule of :attr:`RULES` that answers."""
        for rule in self.RULES:
            answer = rule(self, turn)
            if answer is not None:
                return answer
        return self._out_of_scope(turn)

    # --- the rules, in order ---------------------------------------------------------
    # Each reads the turn and either answers or passes (None) to the next one.

    def rule_tapped_chip(self, turn: Turn) -> Answer | None:
        """A chip's action (docs/contracts.md, "Quick replies") does what its label says."""
        action = turn.action
        kind = action.get("type") if action else None
        if action is None or kind == "ask":
            return None
        if kind == "handoff":
            return self._handoff(turn, "handoff")
        if kind == "faq":
            topic = str(action.get("topic") or "")
            return self._faq(turn, topic) if topic in _FAQ_TOPICS else None
        if kind == "refine":
            return self._refine(turn, action)
        return None

    def rule_asked_for_a_person(self, turn: Turn) -> Answer | None:
        if turn.topic in _HANDOFF_TOPICS and turn.guess.strong:
            return self._handoff(turn, turn.topic)
        return None

    def rule_order_question(self, turn: Turn) -> Answer | None:
        if turn.topic in _ORDER_TOPICS and turn.guess.strong:
            return self._orders(turn, turn.topic, turn.number)
        return None

    def rule_policy_question(self, turn: Turn) -> Answer | None:
        topic = turn.topic
        if topic == "shipping" and turn.number and intents.has_lettered_order_number(turn.text):
            return None  # "has order IW 55012 shipped?" is about that order: its status
        if topic and turn.guess.strong and topic != "size_guide":
            return self._faq(turn, topic)
        return None

    def rule_order_number_given(self, turn: Turn) -> Answer | None:
        """An order number in a shop's form ("NW-10031", "bl20417", "where is XH 88231")
        or any number with order words, when no product is named."""
        if not turn.number or self._named_products(turn):
            return None
        if turn.topic in _ORDER_TOPICS or intents.has_lettered_order_number(turn.text):
            return self._orders(turn, turn.topic if turn.topic in _ORDER_TOPICS else None, turn.number)
        return None

    def rule_size_guide_question(self, turn: Turn) -> Answer | None:
        if turn.topic == "size_guide" and turn.guess.strong and not self._named_products(turn):
            return self._faq(turn, "size_guide")
        return None

    def rule_refine_earlier(self, turn: Turn) -> Answer | None:
        """ "cheaper ones", "which is the cheapest?", "in blue?", "not black", "只看有货":
        the last search again with a filter changed, when the message names nothing new."""
        earlier = turn.last_search
        if earlier is None or any(not _is_colour(c) for c in turn.concepts):
            return None
        if turn.context.state.get("topic", "products") != "products":
            return None  # after a policy answer, "the cheapest?" is a new question
        prices = turn.prices
        stock_only = "stock" in turn.aspects and (
            _ONLY.search(turn.text) is not None or intents.refers_back(turn.text) is None
        )
        changes: dict[str, Any] = {}
        if prices.sort:
            changes["sort"] = prices.sort
        if prices.min_price is not None or prices.max_price is not None:
            changes["min_price"], changes["max_price"] = prices.min_price, prices.max_price
        if turn.wanted_colours:
            changes["colours"] = turn.wanted_colours
            changes["exclude_colours"] = tuple(
                c for c in earlier.exclude_colours if c not in turn.wanted_colours
            )
        if turn.exclusion.colours:
            changes["exclude_colours"] = tuple(sorted(turn.exclusion.colours))
            changes["colours"] = ()
        if turn.exclusion.words:
            changes["exclude_words"] = turn.exclusion.words
        if stock_only:
            changes["in_stock"] = True
        if not changes:
            return None
        shown = self._earlier_products(turn) if _WHICH.search(turn.text) else []
        return self._search(turn, replace(earlier, **changes), among=[p.sku for p in shown])

    def rule_about_earlier(self, turn: Turn) -> Answer | None:
        """ "how much are they?", "这个耳机能用多久？", "多少钱？": a question about the
        products just shown (all of them for a plural or no referent)."""
        back = intents.refers_back(turn.text)
        asks = bool(turn.aspects or turn.fact_aspects)
        # "are they waterproof?": the aspect's own words do not name a product.
        concepts = _without_fact_words(turn.concepts, turn.exclusion.rest) if asks else turn.concepts
        if back is None and (concepts or not asks):
            return None
        if back is not None and not asks and concepts:
            return None
        earlier = self._earlier_products(turn)
        if not earlier:
            return None
        if concepts:
            # "这个耳机": the shown products that are earphones, if any of them are.
            words = {c.word for c in concepts}
            earlier = [p for p in earlier if any(w in _product_text(p) for w in words)] or []
            if not earlier:
                return None
        plural = intents.plural_reference(turn.text) or back is None
        if back is not None and not plural:
            return self._about(turn, [earlier[back] if back < len(earlier) else earlier[0]])
        if len(earlier) == 1 or not plural:
            return self._about(turn, earlier[:1])
        return self._about_several(turn, earlier[: self.max_results])

    def rule_feature_of_earlier(self, turn: Turn) -> Answer | None:
        """ "do they have a hood?", "how many pages?", "防水吗": a question about a feature
        no product is named by, right after products were shown: each shown product with
        the sentence of its description that mentions it."""
        if not intents.is_question(turn.text) or not turn.concepts or turn.prices.has_limit:
            return None
        if turn.context.state.get("topic", "products") != "products":
            return None
        if any(h.name_matched for h in turn.hits[:6]) and intents.refers_back(turn.text) is None:
            return None  # "how many pages has the cookbook?" names its product
        earlier = self._earlier_products(turn)
        words = [c.word for c in turn.concepts]
        quoted = [(p, facts.sentence_mentioning(p.description, words)) for p in earlier[: self.max_results]]
        if not any(sentence for _, sentence in quoted):
            return None
        if intents.refers_back(turn.text) == 0 and not intents.plural_reference(turn.text):
            quoted = quoted[:1]
        lines = []
        for product, sentence in quoted:
            line = self._line(turn, product)
            if sentence:
                line += (" — " if turn.lang == "en" else "：") + sentence
            lines.append(line)
        shown = [p for p, _ in quoted]
        return Answer(
            "\n".join(lines),
            "product_question",
            cards=[tools.product_card(p, turn.currency) for p in shown],
            quick_replies=self._search_chips(turn, turn.last_search or Search(), shown),
            focus=[p.sku for p in shown],
            topic="products",
        )

    def rule_about_named(self, turn: Turn) -> Answer | None:
        named = self._named_products(turn)
        if named and (turn.aspects or turn.fact_aspects) and not turn.prices.sort:
            return self._about(turn, named)
        return None

    def rule_weak_support_topic(self, turn: Turn) -> Answer | None:
        topic = turn.topic
        if not topic or self._named_products(turn):
            return None
        if topic in _HANDOFF_TOPICS:
            # A weak word ("someone", "problem") calls a person only as the words of an
            # explicit ask; the classifier alone never does (intents.support_guess).
            return self._handoff(turn, topic)
        if topic in _ORDER_TOPICS:
            return self._orders(turn, topic, turn.number)
        # A support word beats products that only share a word of their description
        # ("shipping options" vs a tent that "ships with a stuff sack").
        if not any(hit and hit.name_matched for _, hit in self._matches(turn, lenient=False)):
            return self._faq(turn, topic)
        return None

    def rule_off_topic(self, turn: Turn) -> Answer | None:
        """Clearly about something else ("the weather in Paris") and no word of it is a
        catalog word: "a lamp with a long battery *life*" is still about lamps."""
        if not intents.is_off_topic(turn.text) or self._named_products(turn):
            return None
        postings = turn.index.product_index.postings
        catalog_words = [
            c for c in turn.concepts if c.alternatives[0][0] in postings and not intents.is_off_topic(c.word)
        ]
        if not catalog_words:
            return self._out_of_scope(turn)
        return None

    def rule_faq_words(self, turn: Turn) -> Answer | None:
        entry = self._faq_by_words(turn)
        if entry is None or self._named_products(turn) or turn.shopping or turn.prices.has_limit:
            return None
        return self._faq_entries(turn, [entry])

    def rule_question_about_one(self, turn: Turn) -> Answer | None:
        """ "is the pet tracker waterproof?", "what nib does the gold pen have?", "面膜一盒
        几片": a question whose words name one product clearly and whose other words are in
        a sentence of its description. That sentence is quoted; with none, it is a search."""
        if not intents.is_question(turn.text) or turn.shopping or turn.prices.has_limit or turn.prices.sort:
            return None
        hits = [h for h in turn.hits[:6] if h.name_matched]
        if not hits or (len(hits) > 1 and hits[1].name_matched >= hits[0].name_matched):
            return None
        product = turn.index.products[hits[0].doc]
        quoted = facts.sentence_with_words(product.description, [c.word for c in turn.concepts], product.name)
        if not quoted:
            return None
        fresh = turn.context.adapter.get_product(turn.context.shop.id, product.sku) or product
        text = turn.say(
            "about",
            name=fresh.name,
            price=turn.price(fresh),
            stock=stock_state(fresh.stock, turn.lang),
            facts=quoted,
        )
        return Answer(
            text,
            "product_question",
            cards=[tools.product_card(fresh, turn.currency)],
            quick_replies=[_faq_chip("shipping", turn.lang)],
            focus=[fresh.sku],
            search=Search(category=fresh.category) if fresh.category else None,
            topic="products",
        )

    def rule_product_search(self, turn: Turn) -> Answer | None:
        if self._named_products(turn) or (turn.concepts and self._matches(turn, lenient=turn.shopping)):
            return self._search(turn, turn.fresh_search())
        return None

    def rule_faq_fallback(self, turn: Turn) -> Answer | None:
        # No product matched: a question whose words are mostly in an entry, its answer
        # included ("可以用<a payment brand>吗", "开封后能用多久"), is answered by it.
        entry = self._faq_by_words(turn)
        # Not a fact question whose product's name is half there ("电助力车充电要多久" and a
        # shipping answer that mentions that bike's battery).
        about_a_product = turn.fact_aspects and any(h.name_matched for h in turn.hits[:5])
        if entry is None and intents.is_question(turn.text) and not about_a_product:
            entry = self._faq_by_words(turn, share=0.5, anywhere=True)
        return self._faq_entries(turn, [entry]) if entry is not None else None

    def rule_browse(self, turn: Turn) -> Answer | None:
        prices = turn.prices
        if prices.has_limit or prices.sort or (turn.shopping and not turn.concepts):
            return self._search(turn, turn.fresh_search())
        return None

    def rule_which_product(self, turn: Turn) -> Answer | None:
        if (turn.aspects or turn.fact_aspects) and not turn.core_concepts:
            return Answer(turn.say("which_product"), "product_question")
        return None

    def rule_need_or_gift(self, turn: Turn) -> Answer | None:
        """A need the catalog half-matches ("something for cold hands"): the closest in-stock
        products and why, rather than "couldn't find"."""
        # For a need or a present, or words naming a kind of product we sell ("a bottle
        # that keeps drinks cold for a long time"). For an unknown product name
        # ("surfboards") a half match is a different product: "we have none" is honest.
        need = any(c.optional or c.word in NEEDS or stem(c.word) in NEEDS for c in turn.concepts)
        named_kind = any(h.name_matched for h in turn.hits[:5])
        if named_kind and not need:
            # "订一张机票", "一部电影": a quantity word never names a kind of product.
            content = [c for c in turn.concepts if not _QUANTITY.match(c.word)]
            named_kind = bool(content) and any(
                h.name_matched for h in turn.index.product_index.search(content)[:5]
            )
        if not (need or named_kind):
            return None
        # A question half of whose words are an FAQ entry's question ("can I ask a vet
        # about…?") is that entry, rather than products that half match it.
        if intents.is_question(turn.text) and not turn.shopping:
            entry = self._faq_by_words(turn, share=0.5, anywhere=False)
            half = turn.index.faq_index.search(turn.concepts)
            if entry is None and half and half[0].name_matched * 2 >= len(turn.concepts) >= 2:
                entry = turn.index.faq[half[0].doc]
            if entry is not None:
                return self._faq_entries(turn, [entry])
        return self._closest(turn, turn.fresh_search())

    def rule_no_match(self, turn: Turn) -> Answer | None:
        return self._no_match(turn) if turn.shopping and turn.concepts else None

    RULES: tuple[Rule, ...] = (
        rule_tapped_chip,
        rule_asked_for_a_person,
        rule_order_question,
        rule_policy_question,
        rule_order_number_given,
        rule_size_guide_question,
        rule_refine_earlier,
        rule_about_earlier,
        rule_feature_of_earlier,
        rule_about_named,
        rule_weak_support_topic,
        rule_off_topic,
        rule_faq_words,
        rule_question_about_one,
        rule_product_search,
        rule_faq_fallback,
        rule_browse,
        rule_which_product,
        rule_need_or_gift,
        rule_no_match,
    )

    # --- products ----------------------------------------------------------------------

    def _named_products(self, turn: Turn) -> list[ProductInfo]:
        """Products the shopper names outright: by SKU, or every word of theirs is in the
        product's name. Several when the name fits several equally well."""
        if turn._named is None:
            turn._named = self._find_named(turn)
        return turn._named

    def _find_named(self, turn: Turn) -> list[ProductInfo]:
        for token in _SKU_TOKEN.findall(turn.text):
            product = turn.index.product_by_sku(token)
            if product is not None:
                return [product]
        concepts = turn.core_concepts
        wanted = required_count(concepts)
        if not wanted:
            return []
        hits = (
            turn.index.product_index.search(concepts)[:6] if concepts is not turn.concepts else turn.hits[:6]
        )
        full = [h for h in hits if h.name_matched == wanted and h.matched == wanted]
        if not full and turn.fact_aspects and wanted > 1:
            # "is the ceramic teapot dishwasher *safe*?": a fact question names its
            # product with all but one word, when one product clearly leads.
            full = [h for h in hits if h.name_matched >= wanted - 1]
            if len(full) > 1 and full[1].name_matched == full[0].name_matched:
                return []
            return [turn.index.products[h.doc] for h in full[:1]]
        if not full:
            return []
        # One word like "jacket" names a kind of product, not one product, unless the
        # shopper asks about it ("金骏眉多少钱").
        asks = turn.aspects or turn.fact_aspects
        if wanted == 1 and len(full) > 1 and not asks:
            return []
        top = full[0]
        close = [h for h in full if h.score >= top.score * 0.8]
        return [turn.index.products[h.doc] for h in close[:3]]

    def _matches(self, turn: Turn, *, lenient: bool) -> list[tuple[ProductInfo, Hit | None]]:
        found, _ = tools.find_products(
            turn.index, concepts=turn.concepts, hits=turn.hits, limit=self.max_results, lenient=lenient
        )
        return found

    def _earlier_products(self, turn: Turn) -> list[ProductInfo]:
        """What "it" / "they" / "那个" means: the products of the previous answer."""
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

    def _refine(self, turn: Turn, action: dict[str, Any]) -> Answer:
        """A refine chip: the last search with the chip's filters (or the whole catalog
        with them, when nothing was searched yet)."""
        search = turn.last_search or Search()
        changes: dict[str, Any] = {}
        if isinstance(action.get("in_stock"), bool):
            changes["in_stock"] = action["in_stock"]
        if action.get("sort") in _SORTS:
            changes["sort"] = None if action["sort"] == "relevance" else action["sort"]
        if isinstance(action.get("colour"), str) and action["colour"]:
            changes["colours"] = (action["colour"].lower(),)
            changes["exclude_colours"] = tuple(c for c in search.exclude_colours if c != action["colour"])
        for key in ("min_price", "max_price"):
            if key in action:
                changes[key] = _amount(action[key])
        if isinstance(action.get("category"), str) and action["category"]:
            changes["category"] = action["category"]
            # "Similar ones in stock" after a product that is sold out: its own words would
            # find only it again; then the category alone is what is similar.
            probe = replace(search, **changes)
            if search.words and not self._run(turn, probe, self._search_concepts(turn, probe)):
                changes["words"] = ""
        return self._search(turn, replace(search, **changes))

    def _run(self, turn: Turn, search: Search, concepts: list[Concept]) -> list[ProductInfo]:
        hits = turn.hits if concepts is turn.concepts else None
        found, _ = tools.find_products(
            turn.index,
            concepts=concepts,
            hits=hits,
            min_price=search.min_price,
            max_price=search.max_price,
            in_stock_only=search.in_stock,
            category=search.category,
            limit=max(self.max_results * 4, 20),
            sort=search.sort or "relevance",
            lenient=True,
        )
        products = [p for p, _ in found]
        products = [p for p in products if not _excluded(p, search)]
        products = _kind_first(products, concepts)
        if search.exclude_colours:
            # "Not black": a product that also comes in other colours stays, after the rest.
            only = [p for p in products if not set(_colours(p)) & set(search.exclude_colours)]
            products = only + [p for p in products if p not in only]
        return products

    def _search_concepts(self, turn: Turn, search: Search) -> list[Concept]:
        if search.words == turn.exclusion.rest:
            return turn.concepts
        return turn.index.concepts(search.words, skip=turn.prices.numbers) if search.words else []

    def _search(self, turn: Turn, search: Search, among: list[str] | None = None) -> Answer:
        """Run ``search`` and show it; ``among`` keeps only those SKUs (a question about
        the products just shown) when any of them still fits."""
        index = turn.index
        lang = turn.lang
        if not index.products:
            return Answer(turn.say("empty_shop"), "product_search", quick_replies=_menu(lang))
        concepts = self._search_concepts(turn, search)
        products = self._run(turn, search, concepts)
        if among:
            products = [p for p in products if p.sku in among] or products
        qualifier = self._qualifier(turn, search)
        if not products:
            return self._nothing_within_limits(turn, search, concepts, qualifier)
        lead = ""
        if search.colours:
            coloured = [p for p in products if set(search.colours) & set(_colours(p))]
            if coloured:
                products = coloured + [p for p in products if p not in coloured]
            else:
                names = ", ".join(colour_name(c, lang) for c in search.colours)
                lead = turn.say("colour_missing", colour=names) + "\n"
        shown = products[: self.max_results]
        lines = [lead + turn.say("results", qualifier=qualifier)]
        lines.extend(self._line(turn, p) for p in shown)
        intent = (
            "product_question" if turn.aspects and len(shown) == 1 and not turn.action else "product_search"
        )
        return Answer(
            "\n".join(lines),
            intent,
            cards=[tools.product_card(p, turn.currency) for p in shown],
            quick_replies=self._search_chips(turn, search, shown),
            focus=[p.sku for p in shown],
            search=search,
            topic="products",
        )

    def _search_chips(self, turn: Turn, search: Search, shown: list[ProductInfo]) -> list[QuickReply]:
        """Only what would change this list: cheapest first unless it already is (and has
        more than one product), in stock only when something shown is not."""
        lang = turn.lang
        chips = []
        if search.sort != "price_asc" and len({p.price for p in shown}) > 1:
            chips.append(QuickReply(say("qr_cheapest", lang), {"type": "refine", "sort": "price_asc"}))
        if not search.in_stock and shown and all(not p.in_stock for p in shown) and shown[0].category:
            # Nothing shown is in stock: "in stock only" would empty the list; the same
            # kind in stock is what helps.
            chips.append(
                QuickReply(
                    say("qr_similar_in_stock", lang),
                    {"type": "refine", "in_stock": True, "category": shown[0].category},
                )
            )
        elif not search.in_stock and any(not p.in_stock for p in shown):
            chips.append(QuickReply(say("qr_in_stock", lang), {"type": "refine", "in_stock": True}))
        chips.append(_faq_chip("shipping", lang))
        return chips

    def _nothing_within_limits(
        self, turn: Turn, search: Search, concepts: list[Concept], qualifier: str
    ) -> Answer:
        """Nothing fits the limits: say so, and name the nearest real product if the words
        alone match something, instead of showing what was not asked for."""
        lang = turn.lang
        # Only the limits are loosened: what the shopper ruled out stays out ("不要绿色的").
        loose_search = Search(
            words=search.words,
            sort="price_asc",
            exclude_words=search.exclude_words,
            exclude_colours=search.exclude_colours,
        )
        loose = self._run(turn, loose_search, concepts) if concepts else []
        if not concepts:
            found, _ = tools.find_products(turn.index, limit=20, sort="price_asc")
            loose = [p for p, _ in found]
        if not loose:
            return self._no_match(turn)
        if search.min_price is not None or search.max_price is not None:
            target = search.max_price if search.max_price is not None else search.min_price
            assert target is not None
            nearest = sorted(loose, key=lambda p: (not p.in_stock, abs(p.price - target)))[:3]
            text = turn.say(
                "none_in_price", qualifier=qualifier, name=nearest[0].name, price=turn.price(nearest[0])
            )
        else:
            nearest = [p for p in loose if p.in_stock][:3] or loose[:1]
            text = turn.say("none_in_stock", name=nearest[0].name, price=turn.price(nearest[0]))
        return Answer(
            text,
            "product_search",
            cards=[tools.product_card(p, turn.currency) for p in nearest],
            quick_replies=[_handoff_chip(lang), _faq_chip("shipping", lang)],
            focus=[p.sku for p in nearest],
            search=search,
            topic="products",
        )

    def _closest(self, turn: Turn, search: Search) -> Answer | None:
        """Products that match part of a need ("a present for my sister who runs"), in
        stock first, when nothing matches all of it."""
        products = [
            turn.index.products[h.doc]
            for h in turn.hits[:20]
            if h.name_matched or h.matched >= max(1, required_count(turn.concepts) // 2)
        ]
        products = _kind_first([p for p in products if not _excluded(p, search)], turn.concepts)
        if search.max_price is not None or search.min_price is not None:
            low = search.min_price or Decimal(0)
            high = search.max_price or Decimal("1e12")
            middle = (low + high) / 2
            within = [p for p in products if low <= p.price <= high]
            products = within or sorted(products, key=lambda p: abs(p.price - middle))
        products = [p for p in products if p.in_stock][:3]
        if not products:
            return None
        reason = turn.say("closest_price" if search.max_price is not None else "closest_words")
        lines = [turn.say("closest", qualifier=self._qualifier(turn, search), reason=reason)]
        lines.extend(self._line(turn, p) for p in products)
        return Answer(
            "\n".join(lines),
            "product_search",
            cards=[tools.product_card(p, turn.currency) for p in products],
            quick_replies=self._search_chips(turn, search, products),
            focus=[p.sku for p in products],
            search=search,
            topic="products",
        )

    def _qualifier(self, turn: Turn, search: Search) -> str:
        parts = []
        if search.min_price is not None and search.max_price is not None:
            parts.append(
                turn.say(
                    "between",
                    low=money(search.min_price, turn.currency),
                    high=money(search.max_price, turn.currency),
                )
            )
        elif search.max_price is not None:
            parts.append(turn.say("under", amount=money(search.max_price, turn.currency)))
        elif search.min_price is not None:
            parts.append(turn.say("over", amount=money(search.min_price, turn.currency)))
        if search.sort == "price_asc":
            parts.append(turn.say("cheapest_first"))
        elif search.sort == "price_desc":
            parts.append(turn.say("dearest_first"))
        if search.in_stock:
            parts.append(turn.say("in_stock_only"))
        left_out = [colour_name(c, turn.lang) for c in search.exclude_colours] + list(search.exclude_words)
        if left_out:
            parts.append(turn.say("excluded", what=", ".join(left_out)))
        return "".join(parts)

    def _line(self, turn: Turn, product: ProductInfo) -> str:
        return turn.say(
            "line", name=product.name, price=turn.price(product), stock=stock_state(product.stock, turn.lang)
        )

    def _about_several(self, turn: Turn, products: list[ProductInfo]) -> Answer:
        """A question about each of the products just shown ("how much are they?")."""
        lines = []
        asked = facts.asked_aspects(turn.fact_aspects, turn.aspects)
        for product in products:
            line = self._line(turn, product)
            quoted = facts.answering_sentences(product.description, asked, turn.text, product.name)
            if quoted:
                line += (" — " if turn.lang == "en" else "：") + " ".join(quoted)
            lines.append(line)
        return Answer(
            "\n".join(lines),
            "product_question",
            cards=[tools.product_card(p, turn.currency) for p in products],
            quick_replies=self._search_chips(turn, turn.last_search or Search(), products),
            focus=[p.sku for p in products],
            topic="products",
        )

    def _about(self, turn: Turn, products: list[ProductInfo]) -> Answer:
        """A question about one named product (or a few equally named ones)."""
        lang = turn.lang
        if len(products) > 1:
            return self._about_several(turn, products)
        # Stock moves between catalog versions: read this product fresh.
        fresh = turn.context.adapter.get_product(turn.context.shop.id, products[0].sku) or products[0]
        product = fresh
        price = turn.price(product)
        stock = stock_state(product.stock, lang)
        own_facts = intents.fact_aspects(_without_name(turn.text, product.name))
        asked = set(turn.aspects) | set(own_facts)
        if own_facts and _EXPLICIT_PRICE.search(turn.text) is None:
            asked.discard("price")  # "how much does it hold?" asks about capacity
        extra: list[str] = []
        quoting = (
            facts.asked_aspects(own_facts, turn.aspects)
            if own_facts or asked & {"size", "material", "colour"}
            else ()
        )
        if "stock" in asked:
            if product.in_stock:
                text = turn.say("stock_yes", name=product.name, stock=stock, price=price)
            else:
                text = turn.say("stock_no", name=product.name, price=price)
                alternatives = self._alternatives(turn, product)
                if alternatives:
                    extra.append(turn.say("alternatives", names=", ".join(alternatives)))
        elif quoting:
            quoted = facts.answering_sentences(product.description, quoting, turn.text, product.name)
            if quoted:
                text = turn.say("about", name=product.name, price=price, stock=stock, facts=" ".join(quoted))
            else:
                text = turn.say("facts_missing", name=product.name, description=product.description)
            if asked & {"size", "dimensions"}:
                guide = tools.faq_matches(turn.index, turn.text, "size_guide", limit=1)
                if guide and not quoted:
                    extra.append(turn.say("size_guide", answer=guide[0].answer))
        elif asked & {"details"}:
            text = turn.say("about", name=product.name, price=price, stock=stock, facts=product.description)
        elif "price" in asked:
            text = turn.say("price", name=product.name, price=price, stock=stock)
        else:
            facts_text = _first_sentence(product.description)
            text = turn.say("about", name=product.name, price=price, stock=stock, facts=facts_text)
        chips = [_faq_chip("shipping", lang)]
        if not product.in_stock and product.category:
            # The answer said "out of stock": the useful next step is what is in stock.
            chips.insert(
                0,
                QuickReply(
                    say("qr_similar_in_stock", lang),
                    {"type": "refine", "in_stock": True, "category": product.category},
                ),
            )
        return Answer(
            _join(lang, [text.strip(), *extra]),
            "product_question",
            cards=[tools.product_card(product, turn.currency)],
            quick_replies=chips,
            focus=[product.sku],
            search=Search(category=product.category) if product.category else None,
            topic="products",
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
        # A category's name is the shopper's words for browsing it: an "ask" chip.
        chips = [QuickReply(c) for c in categories] or _menu(turn.lang)
        return Answer(turn.say("no_match"), "product_search", quick_replies=chips, declined=True)

    # --- orders, policies, people ---------------------------------------------------------

    def _orders(self, turn: Turn, topic: str | None, number: str | None) -> Answer:
        context = turn.context
        lang = turn.lang
        policy = self._policy(turn, "cancel") if topic == "cancel" else None
        if not context.shopper.is_signed_in:
            parts = [turn.say("sign_in")]
            if policy:
                parts.append(policy)
            return Answer(_join(lang, parts), "order_status", quick_replies=[_handoff_chip(lang)])
        result = tools.order_status(context, number=number)
        if result.get("error") == "not_found":
            return Answer(
                turn.say("order_not_found", number=number),
                "order_status",
                quick_replies=[_orders_chip(lang), _handoff_chip(lang)],
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
        quick = [_handoff_chip(lang)] if topic == "cancel" else [_faq_chip("shipping", lang)]
        return Answer(_join(lang, parts), "order_status", quick_replies=quick, topic="orders")

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
        entries = tools.faq_answers(turn.index, turn.text, topic)
        if not entries:
            return Answer(
                turn.say("no_faq"), "faq", quick_replies=[_handoff_chip(lang)], topic=topic, declined=True
            )
        answer = self._faq_entries(turn, entries, topic)
        if topic == "refund" and turn.context.shopper.is_signed_in:
            answer.text = _join(lang, [answer.text, turn.say("ask_person")])
        return answer

    def _faq_entries(self, turn: Turn, entries: list[FaqInfo], topic: str = "") -> Answer:
        """One FAQ answer, or two when each answers a part of the question."""
        lang = turn.lang
        if len(entries) > 1:
            text = turn.say("faq_both", first=entries[0].answer, second=entries[1].answer)
        else:
            text = entries[0].answer
        # The menu without the topic just answered; a person first where a policy often
        # leads to one (returns, contact).
        quick = [chip for chip in _menu(lang) if chip.action.get("topic") != topic or not topic]
        if topic in ("refund", "contact"):
            quick = [_handoff_chip(lang), *[c for c in quick if c.action.get("type") != "handoff"]]
        return Answer(text, "faq", quick_replies=quick[:4], topic=topic or "faq")

    def _faq_by_words(self, turn: Turn, share: float = 0.5, anywhere: bool = False) -> FaqInfo | None:
        """An FAQ entry that most of the shopper's words appear in (more than ``share`` of
        them in its question; with ``anywhere``, at least ``share`` in its question or
        answer), for topics the word lists do not know ("gift wrapping")."""
        # Every word counts here, gift words too ("gift cards").
        concepts = [replace(c, optional=False) for c in turn.concepts]
        hits = turn.index.faq_index.search(concepts)
        if not hits or not turn.concepts:
            return None
        found = (hits[0].matched if anywhere else hits[0].name_matched) / len(turn.concepts)
        if found > share or (anywhere and found >= share):
            return turn.index.faq[hits[0].doc]
        return None

    def _handoff(self, turn: Turn, topic: str | None) -> Answer:
        reason = "complaint" if topic == "complaint" else "shopper asked for a person"
        tools.request_handoff(turn.context, reason)
        text = (turn.say("sorry") if topic == "complaint" else "") + turn.say("handoff")
        return Answer(text, "handoff", handoff=True, handoff_reason=reason, topic="handoff")

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


def _faq_chip(topic: str, lang: str) -> QuickReply:
    key = {"shipping": "qr_shipping", "refund": "qr_returns", "payment": "qr_payment"}[topic]
    return QuickReply(say(key, lang), {"type": "faq", "topic": topic})


def _handoff_chip(lang: str) -> QuickReply:
    return QuickReply(say("qr_person", lang), {"type": "handoff"})


def _orders_chip(lang: str) -> QuickReply:
    # Asking about one's orders is a question like any other (it needs a sign-in check
    # and maybe a number), so the chip sends the words.
    return QuickReply(say("qr_orders", lang), {"type": "ask"})


def _menu(lang: str) -> list[QuickReply]:
    return [_orders_chip(lang), _faq_chip("shipping", lang), _faq_chip("refund", lang), _handoff_chip(lang)]


def _only_number(text: str, number: str) -> bool:
    """Nothing but the order number (and punctuation) in the message."""
    rest = re.sub(r"[-\s#_]+", "", text).lower().replace(re.sub(r"[-\s#_]+", "", number).lower(), "")
    return not re.search(r"[a-z]{2,}|[\u4e00-\u9fff]", rest)


def _is_colour(concept: Concept) -> bool:
    """A colour word itself ("white", "白色"), not a word with a colour in it ("绿茶")."""
    word = concept.word
    return word in _COLOUR_WORDS or (not word.isascii() and word.endswith("色") and len(word) <= 3)


def _colours(product: ProductInfo) -> list[str]:
    text = _product_text(product)
    return [c.split(":", 1)[1] for c in colour_terms(text, latin_words(text))]


_SAID_WITHOUT = re.compile(
    r"\b(?:without|no|not|free of)\s+(?:an?\s+|the\s+|any\s+)?[a-z]+"
    r"|(?:不带|无|没有|不含)[\u4e00-\u9fff]{1,3}",
    re.I,
)


# A Chinese count and measure word ("一张", "两个", "一部"): how many, not what.
_QUANTITY = re.compile(r"^[一二两三四五六七八九十几每半][\u4e00-\u9fff]?$")


def _excluded(product: ProductInfo, search: Search) -> bool:
    """The product has what the shopper ruled out: a word ("without a hood" and a
    "Hooded" robe) or, in every colour it comes in, an excluded colour."""
    if search.exclude_words:
        # "Fleece jumper, without a hood" does not have a hood; "不带兜帽" neither.
        text = _SAID_WITHOUT.sub(" ", _product_text(product))
        stems = {stem(w) for w in latin_words(text)}
        if any(w in stems or (not w.isascii() and w in text) for w in search.exclude_words):
            return True
    if search.exclude_colours:
        colours = set(_colours(product))
        return bool(colours) and colours <= set(search.exclude_colours)
    return False


def _head(name: str) -> str:
    """What a product is, by its name's head word: the last English word that is not a
    size or a number ("Cast Iron Skillet 26 cm" -> skillet), or the Chinese name itself
    (its end says what it is: "耳机收纳盒" is a case)."""
    runs = cjk_runs(name)
    if runs:
        return runs[-1]
    words = [w for w in latin_words(name.lower()) if not _UNIT.match(w)]
    return stem(words[-1]) if words else ""


def _kind_first(products: list[ProductInfo], concepts: list[Concept]) -> list[ProductInfo]:
    """Products that *are* what the shopper named before those that only go with it:
    "lamp" puts the lamps before the lamp shade, "耳机" the earphones before the earphone
    case. Order within each group is kept (relevance or price)."""
    words = [c.word for c in concepts if not c.optional]
    if not words:
        return products

    def is_kind(product: ProductInfo) -> bool:
        head = _head(product.name)
        if not head:
            return False
        if head.isascii():
            return any(stem(w) == head for w in words if w.isascii())
        # The word at the end, or just before a last character ("熟茶饼" is a tea,
        # "耳机收纳盒" a case).
        return any(w in head[-(len(w) + 1) :] for w in words if not w.isascii())

    def in_kind_category(product: ProductInfo) -> bool:
        category = product.category.lower()
        return any(
            (stem(w) in {stem(c) for c in latin_words(category)}) if w.isascii() else (w in category)
            for w in words
        )

    # No name says it ("普洱" and "2016 勐海熟普 357g 茶饼"): the catalog's own category does.
    kind = [p for p in products if is_kind(p)] or [p for p in products if in_kind_category(p)]
    # "化妆刷" cut into 化妆 + 刷: a name that holds the shopper's Chinese words side by side
    # is that kind, before the ones that hold only a piece ("化妆包").
    joined = [a + b for a, b in pairwise(words) if not (a + b).isascii()]
    whole = [p for p in products if any(j in p.name for j in joined)]
    if whole:
        kind = whole + [p for p in kind if p not in whole]
    if not kind:
        return products
    return kind + [p for p in products if p not in kind]


def _without_fact_words(concepts: list[Concept], text: str) -> list[Concept]:
    """The concepts minus the words of a fact question ("how *heavy* is the skillet",
    "续航多久"): what is left names the product."""
    lowered = text.lower()
    en = {w for words, _, _ in FACT_ASPECTS.values() for w in words}
    en |= {w for words, _ in ASPECTS.values() for w in words}
    zh = [w for _, words, _ in FACT_ASPECTS.values() for w in words if w in lowered]
    zh += [w for _, words in ASPECTS.values() for w in words if w in lowered]
    if re.search(r"\bhow (?:long|much|many)\b", lowered):
        en |= {"long", "much", "many"}
    return [
        c
        for c in concepts
        if not (c.word in en or stem(c.word) in en or (not c.word.isascii() and any(c.word in w for w in zh)))
    ]


def _without_name(text: str, name: str) -> str:
    """The question without the product's name, so a word of the name ("充电宝") is not
    read as a fact asked for (charging)."""
    rest = text
    for word in latin_words(name.lower()):
        rest = re.sub(rf"\b{re.escape(word)}\b", " ", rest, flags=re.I)
    for run in cjk_runs(name):
        for size in range(len(run), 1, -1):
            for start in range(len(run) - size + 1):
                piece = run[start : start + size]
                if piece in rest:
                    rest = rest.replace(piece, " ")
    return rest


def _product_text(product: ProductInfo) -> str:
    return f"{product.name} {product.description}".lower()


def _first_sentence(text: str) -> str:
    sentences = facts.sentences(text)
    return sentences[0] if sentences else ""
