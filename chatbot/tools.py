"""The shop tools every assistant may call: plain functions over the shop adapter.

Each tool takes the :class:`~chatbot.assistants.base.AssistantContext` (shop, shopper,
adapter) plus keyword arguments and returns a JSON-able dict. Failures a shopper or a
model can cause come back as ``{"error": code, "message": text}``, never as exceptions.

Contract for LLM assistants (Coze, OpenAI-compatible): advertise :data:`TOOL_SCHEMAS`
(OpenAI "function" tool format) and answer each tool call with
``run_tool(name, arguments, context)``, where ``arguments`` is the model's JSON string or
an already decoded dict. ``run_tool`` validates arguments against the schema and never
raises. Tool names are stable: ``search_products``, ``get_product``,
``get_order_status``, ``search_faq``, ``request_handoff``. When ``request_handoff``
returns ``{"handoff": true}`` the assistant must also yield ``HandoffRequested``.

Orders are only ever the signed-in shopper's own (``shopper.customer_ref``): a guest gets
``sign_in_required``, another customer's order number gets ``not_found`` exactly like a
number that does not exist.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from rapidfuzz import fuzz

from .adapters import FaqInfo, OrderInfo, ProductInfo
from .assistants.base import AssistantContext
from .knowledge.index import Concept, Hit, ShopIndex, required_count, shop_index
from .knowledge.lexicon import TOPIC_QUERY
from .knowledge.text import clean
from .vocabulary import ProductCard

logger = logging.getLogger(__name__)

MAX_LIMIT = 20
_QUERY_CHARS = 300
SORTS = ("relevance", "price_asc", "price_desc")


def format_price(amount: Decimal) -> str:
    return f"{Decimal(amount).quantize(Decimal('0.01'))}"


def product_dict(product: ProductInfo, currency: str) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "price": format_price(product.price),
        "currency": currency,
        "stock": product.stock,
        "in_stock": product.in_stock,
        "category": product.category,
        "url": product.url,
        "image_url": product.image_url,
    }


def product_card(product: ProductInfo, currency: str) -> ProductCard:
    return ProductCard(
        sku=product.sku,
        name=product.name,
        price=format_price(product.price),
        currency=currency,
        stock=product.stock,
        in_stock=product.in_stock,
        url=product.url,
        image_url=product.image_url,
    )


def order_dict(order: OrderInfo) -> dict[str, Any]:
    return {
        "number": order.number,
        "status": order.status,
        "placed_at": order.placed_at.isoformat(),
        "shipped_at": order.shipped_at.isoformat() if order.shipped_at else None,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "total": format_price(order.total),
        "currency": order.currency,
        "lines": [
            {"sku": line.sku, "name": line.name, "quantity": line.quantity, "price": format_price(line.price)}
            for line in order.lines
        ],
    }


def _category_matches(index: ShopIndex, category: str) -> set[str]:
    """Catalog categories the shopper's or model's category name stands for."""
    wanted = category.casefold().strip()
    if not wanted:
        return set()
    if wanted in index.categories:
        return {wanted}
    return {
        folded
        for folded in index.categories
        if wanted in folded or folded in wanted or fuzz.ratio(wanted, folded) >= 80
    }


def _is_relevant(hit: Hit, concepts: int, lenient: bool) -> bool:
    """Most of what the shopper named is in the product (half, if they clearly shop or a
    word is in its name): one stray description word is not a match. With embeddings, a
    product among the closest in meaning is relevant too."""
    if concepts == 0 or hit.semantic:
        return True  # a semantic hit is among the products most similar in meaning
    share = hit.matched / concepts
    return share > 0.5 or (share >= 0.5 and (lenient or hit.name_matched > 0))


def find_products(
    index: ShopIndex,
    text: str = "",
    *,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    in_stock_only: bool = False,
    category: str | None = None,
    limit: int = 5,
    sort: str = "relevance",
    skip: tuple[str, ...] = (),
    lenient: bool = True,
    concepts: list[Concept] | None = None,
    hits: list[Hit] | None = None,
) -> tuple[list[tuple[ProductInfo, Hit | None]], int]:
    """Ranked products with their hits, and how many concepts the text had. Shared by the
    tool and the local assistant (which passes its already-parsed concepts and, to search
    once per answer, the hits of those concepts)."""
    if concepts is None:
        concepts = index.concepts(clean(text, _QUERY_CHARS), skip=skip)
    allowed = _category_matches(index, category) if category else None
    if category and not allowed:
        return [], len(concepts)
    if concepts:
        if hits is None:
            hits = index.search_products(concepts, clean(text, _QUERY_CHARS))
        wanted = required_count(concepts)
        hits = [h for h in hits if _is_relevant(h, wanted, lenient)]
        if any(h.matched == wanted for h in hits):
            # "red jacket": a red hat that only shares the colour is not an answer when
            # a product matches every word, but another jacket (in its name) still is.
            hits = [h for h in hits if h.matched == wanted or h.name_matched > 0]
        pairs: list[tuple[ProductInfo, Hit | None]] = [(index.products[h.doc], h) for h in hits]
    else:
        pairs = [(product, None) for product in index.products]
    results = []
    for product, hit in pairs:
        if min_price is not None and product.price < min_price:
            continue
        if max_price is not None and product.price > max_price:
            continue
        if in_stock_only and not product.in_stock:
            continue
        if allowed is not None and product.category.casefold() not in allowed:
            continue
        results.append((product, hit))
    if sort == "price_asc":
        results.sort(key=lambda pair: (pair[0].price, -(pair[1].score if pair[1] else 0)))
    elif sort == "price_desc":
        results.sort(key=lambda pair: (-pair[0].price, -(pair[1].score if pair[1] else 0)))
    elif not concepts:
        # Nothing to rank by: show what can be bought now first.
        results.sort(key=lambda pair: (not pair[0].in_stock, pair[0].name))
    return results[: max(1, min(limit, MAX_LIMIT))], len(concepts)


def search_products(
    context: AssistantContext,
    text: str = "",
    min_price: Decimal | float | str | None = None,
    max_price: Decimal | float | str | None = None,
    in_stock_only: bool = False,
    category: str | None = None,
    limit: int = 5,
    sort: str = "relevance",
) -> dict[str, Any]:
    """Products of this shop matching ``text`` (any language), within the price limits,
    best first (or by price with ``sort``)."""
    low = _decimal_or_none(min_price)
    high = _decimal_or_none(max_price)
    if sort not in SORTS:
        return _error("invalid_arguments", f"sort must be one of {', '.join(SORTS)}.")
    index = shop_index(context.adapter, context.shop.id)
    found, _ = find_products(
        index,
        text or "",
        min_price=low,
        max_price=high,
        in_stock_only=bool(in_stock_only),
        category=category,
        limit=int(limit),
        sort=sort,
    )
    return {
        "shop": context.shop.id,
        "currency": context.shop.currency,
        "count": len(found),
        "products": [product_dict(product, context.shop.currency) for product, _ in found],
    }


def get_product(context: AssistantContext, sku: str) -> dict[str, Any]:
    """One product's details and current stock, read fresh from the shop."""
    product = context.adapter.get_product(context.shop.id, sku.strip())
    if product is None:
        return _error("not_found", "This shop has no product with that SKU.")
    return {"product": product_dict(product, context.shop.currency)}


def order_status(
    context: AssistantContext, number: str | None = None, latest: bool = False
) -> dict[str, Any]:
    """The signed-in shopper's order ``number``, or their latest orders when no number is
    given (``latest``). Never another customer's order."""
    customer = context.shopper.customer_ref
    if not customer:
        return _error("sign_in_required", "The shopper must sign in to see their orders.")
    shop_id = context.shop.id
    if number and number.strip():
        order = _own_order(context, number)
        if order is None:
            return _error("not_found", "No order with that number on this shopper's account.")
        return {"order": order_dict(order), "orders": [order_dict(order)]}
    orders = context.adapter.recent_orders(shop_id, customer, limit=5)
    if not orders:
        return {"order": None, "orders": [], "message": "This shopper has no orders in this shop yet."}
    return {"order": order_dict(orders[0]), "orders": [order_dict(o) for o in orders]}


def _own_order(context: AssistantContext, number: str) -> OrderInfo | None:
    customer = context.shopper.customer_ref
    assert customer is not None
    raw = number.strip().lstrip("#").strip()
    # Shoppers drop or add the dash of "NW-10031" ("NW10031", "nw 10031"): try both.
    joined = re.sub(r"[\s_-]+", "", raw)
    dashed = re.sub(r"^([A-Za-z]+)[\s_-]*(?=\d)", r"\1-", raw)
    for candidate in dict.fromkeys(c for v in (raw, dashed, joined) for c in (v, v.upper(), v.lower())):
        order = context.adapter.get_order(context.shop.id, customer, candidate)
        if order is not None:
            return order
    return None


def faq_matches(index: ShopIndex, query: str, topic: str | None = None, limit: int = 3) -> list[FaqInfo]:
    """FAQ entries for a question. With a ``topic`` (shipping, refund…) the usual words
    for that policy pick the candidate entries, whatever words the shopper used, and the
    shopper's own words choose among them ("how long" vs "where to")."""
    if not index.faq:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    user_hits = index.faq_index.search(index.concepts(clean(query, _QUERY_CHARS)))
    if not topic or topic not in TOPIC_QUERY:
        return [index.faq[hit.doc] for hit in user_hits[:limit]]
    topic_hits = index.faq_index.search(_topic_concepts(index, topic))
    if not topic_hits:
        return [index.faq[hit.doc] for hit in user_hits[:limit]]
    user_score = {hit.doc: hit.score for hit in user_hits}
    topic_score = {hit.doc: hit.score for hit in topic_hits}
    on_topic = {hit.doc for hit in topic_hits[:5] if hit.score >= topic_hits[0].score * 0.4}
    pool = set(on_topic)
    # An entry the shopper's own words point at strongly is a candidate even when the
    # topic's usual words barely touch it ("pay in instalments" -> the Klarna entry); it
    # wins over the topic's own entries only by a word that they do not have.
    if user_hits:
        pool |= {hit.doc for hit in user_hits[:3] if hit.score >= user_hits[0].score * 0.6}
    # A word only one or two entries have (a destination, "cost", a payment brand)
    # decides between entries of one topic ("how long to Mexico" -> the Mexico entry).
    distinctive = _distinctive_docs(index, query)
    asked = _facets(query, answer=False)
    ranked = sorted(
        pool,
        key=lambda doc: (
            -sum(doc in docs for docs in distinctive),
            -_facet_fit(asked, index.faq[doc].answer),
            doc not in on_topic,
            -user_score.get(doc, 0.0),
            -topic_score.get(doc, 0.0),
        ),
    )
    ordered = list(dict.fromkeys(ranked + [hit.doc for hit in user_hits]))
    return [index.faq[doc] for doc in ordered[:limit]]


# Cost or time: what a shipping/refund question asks, and what an answer states. "How
# fast is express?" wants the entry that gives days, "is express expensive?" the one that
# gives prices, when one topic has both (docs/assistants.md, "FAQ by content").
_ASKS_TIME = re.compile(
    r"\b(?:how long|how fast|how quick(?:ly)?|how soon|when|arrive|arrives|take|takes|days?|weeks?)\b"
    r"|多久|几天|多长时间|什么时候|何时|多快|到账|送达|能到|收到",
    re.I,
)
_ASKS_COST = re.compile(
    r"\b(?:cost|costs|how much|price|prices|fee|fees|charge|charges|expensive|cheap|free)\b"
    r"|多少钱|运费|费用|收费|几块|贵|便宜|包邮|加多少|多少",
    re.I,
)
_STATES_TIME = re.compile(
    r"\d\s*(?:-\s*\d+\s*)?(?:business |working )?(?:days?|hours?|weeks?)\b|next (?:working |business )?day"
    r"|\d\s*(?:-\s*\d+\s*)?(?:个)?(?:工作日|天|小时|周)|次日|当天|隔日",
    re.I,
)
_STATES_COST = re.compile(r"[$£€¥]\s?\d|\d\s*(?:元|块|usd|eur|gbp|dollars?)|\bfree\b|包邮|免运费", re.I)


def _facets(text: str, *, answer: bool) -> set[str]:
    time, cost = (_STATES_TIME, _STATES_COST) if answer else (_ASKS_TIME, _ASKS_COST)
    return {name for name, pattern in (("time", time), ("cost", cost)) if pattern.search(text)}


def _facet_fit(asked: set[str], answer: str) -> float:
    """1 when the answer states just what was asked (cost or time), 0.5 when it states
    that and the other, 0 when it does not; 0 for every entry when the question asks
    both or neither."""
    if len(asked) != 1:
        return 0.0
    stated = _facets(answer, answer=True)
    if not asked <= stated:
        return 0.0
    return 1.0 if stated == asked else 0.5


def faq_answers(index: ShopIndex, query: str, topic: str | None = None) -> list[FaqInfo]:
    """The entry that answers a question, and a second one when it answers a part the
    first does not ("shipping to Canada, and how much?" -> the destinations entry and
    the costs entry)."""
    entries = faq_matches(index, query, topic, limit=2)
    if len(entries) < 2:
        return entries
    first, second = (index.faq.index(e) for e in entries)
    own = _distinctive_docs(index, query)
    if any(second in docs and first not in docs for docs in own):
        return entries
    return entries[:1]


def _distinctive_docs(index: ShopIndex, query: str) -> list[set[int]]:
    """For each of the shopper's words found in only one or two FAQ entries ("Canada",
    "Apple Pay", "cost", "澳门"), those entries: such a word says which entry is meant."""
    found = []
    limit = 1 if len(index.faq) < 6 else 2
    for concept in index.concepts(clean(query, _QUERY_CHARS)):
        docs = {hit.doc for hit in index.faq_index.search([concept])}
        if 0 < len(docs) <= limit:
            found.append(docs)
    return found


def _topic_concepts(index: ShopIndex, topic: str) -> list[Concept]:
    cached = index.topic_concepts.get(topic)
    if cached is None:
        cached = index.topic_concepts[topic] = index.concepts(TOPIC_QUERY[topic])
    return cached


def search_faq(context: AssistantContext, query: str, limit: int = 3) -> dict[str, Any]:
    """The shop's FAQ/policy entries most relevant to ``query``."""
    index = shop_index(context.adapter, context.shop.id)
    entries = faq_matches(index, query, limit=limit)
    return {"count": len(entries), "results": [{"question": e.question, "answer": e.answer} for e in entries]}


def request_handoff(context: AssistantContext, reason: str = "") -> dict[str, Any]:
    """Ask for a person from the shop to take over; the caller yields HandoffRequested."""
    logger.info("Hand-off requested in shop %s (conversation %s)", context.shop.id, context.conversation_id)
    return {"handoff": True, "reason": reason[:500], "message": "A person from the shop will take over."}


# --- schemas and dispatch ------------------------------------------------------------

TOOL_SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "search_products",
            "description": "Search this shop's products by words (any language), price limits, stock and "
            "category. Returns name, price (2 decimals, shop currency), stock and SKU.",
            "parameters": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "description": "What the shopper is looking for."},
                    "min_price": {"type": "number", "minimum": 0},
                    "max_price": {"type": "number", "minimum": 0},
                    "in_stock_only": {"type": "boolean", "default": False},
                    "category": {"type": "string"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 5},
                    "sort": {"type": "string", "enum": list(SORTS), "default": "relevance"},
                },
                "required": [],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_product",
            "description": "Details and current stock of one product of this shop, by SKU.",
            "parameters": {
                "type": "object",
                "properties": {"sku": {"type": "string", "minLength": 1}},
                "required": ["sku"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_order_status",
            "description": "Status, dates, carrier and tracking of the signed-in shopper's own order "
            "(by number), or of their latest orders when no number is given. Guests must sign in.",
            "parameters": {
                "type": "object",
                "properties": {
                    "number": {"type": "string", "description": "Order number; omit for the latest orders."},
                    "latest": {"type": "boolean", "default": False},
                },
                "required": [],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "search_faq",
            "description": "The shop's policies and FAQ (shipping, returns and refunds, cancellation, "
            "payment, contact, warranty, sizes) most relevant to a question.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "minLength": 1},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 3},
                },
                "required": ["query"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "request_handoff",
            "description": "Hand the conversation to a person from the shop (the shopper asks for a human, "
            "is upset, or needs something the tools cannot do).",
            "parameters": {
                "type": "object",
                "properties": {"reason": {"type": "string", "maxLength": 500}},
                "required": [],
                "additionalProperties": False,
            },
        },
    },
]

_TOOLS: dict[str, Callable[..., dict[str, Any]]] = {
    "search_products": search_products,
    "get_product": get_product,
    "get_order_status": order_status,
    "search_faq": search_faq,
    "request_handoff": request_handoff,
}
_SCHEMAS = {schema["function"]["name"]: schema["function"]["parameters"] for schema in TOOL_SCHEMAS}
_MAX_STRING = 2000


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": code, "message": message}


def _decimal_or_none(value: Decimal | float | str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _check(name: str, value: Any, spec: dict[str, Any]) -> str | None:
    """Why ``value`` does not fit ``spec`` (a small JSON-schema subset), or ``None``."""
    kind = spec.get("type")
    if kind == "string":
        if not isinstance(value, str):
            return f"{name} must be a string"
        if spec.get("minLength") and not value.strip():
            return f"{name} must not be empty"
        if len(value) > min(spec.get("maxLength", _MAX_STRING), _MAX_STRING):
            return f"{name} is too long"
        if "enum" in spec and value not in spec["enum"]:
            return f"{name} must be one of {', '.join(spec['enum'])}"
    elif kind == "boolean":
        if not isinstance(value, bool):
            return f"{name} must be true or false"
    elif kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{name} must be a number"
        if kind == "integer" and not float(value).is_integer():
            return f"{name} must be a whole number"
        if value != value or value in (float("inf"), float("-inf")):
            return f"{name} must be a finite number"
        if "minimum" in spec and value < spec["minimum"]:
            return f"{name} must be at least {spec['minimum']}"
        if "maximum" in spec and value > spec["maximum"]:
            return f"{name} must be at most {spec['maximum']}"
    return None


def run_tool(name: str, arguments: dict[str, Any] | str | None, context: AssistantContext) -> dict[str, Any]:
    """Validate ``arguments`` (a dict or the model's JSON text) against the tool's schema
    and run it. Bad input and tool failures come back as ``{"error": ..., "message":
    ...}``; this function does not raise."""
    tool = _TOOLS.get(name)
    if tool is None:
        return _error("unknown_tool", f"Unknown tool {name!r}; tools: {', '.join(_TOOLS)}.")
    if arguments is None or arguments == "":
        arguments = {}
    if isinstance(arguments, str | bytes):
        try:
            arguments = json.loads(arguments)
        except (ValueError, RecursionError):
            return _error("invalid_arguments", "Arguments are not valid JSON.")
    if not isinstance(arguments, dict):
        return _error("invalid_arguments", "Arguments must be a JSON object.")
    schema = _SCHEMAS[name]
    properties: dict[str, Any] = schema["properties"]
    unknown = sorted(set(arguments) - set(properties))
    if unknown:
        return _error("invalid_arguments", f"Unknown arguments: {', '.join(map(str, unknown))}.")
    missing = [field for field in schema["required"] if arguments.get(field) is None]
    if missing:
        return _error("invalid_arguments", f"Missing arguments: {', '.join(missing)}.")
    clean_args: dict[str, Any] = {}
    for key, value in arguments.items():
        if value is None:
            continue  # models send null for "not given"
        problem = _check(key, value, properties[key])
        if problem:
            return _error("invalid_arguments", problem + ".")
        clean_args[key] = value
    if name == "search_products":
        low, high = clean_args.get("min_price"), clean_args.get("max_price")
        if low is not None and high is not None and low > high:
            return _error("invalid_arguments", "min_price must not be above max_price.")
    try:
        return tool(context, **clean_args)
    except Exception:
        logger.exception("Tool %s failed in shop %s", name, context.shop.id)
        return _error("tool_failed", "The shop's data could not be read just now; try again.")
