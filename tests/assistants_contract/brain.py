"""The "model" behind the fake upstreams: a few rules instead of an LLM.

It decides like a tool-calling model would (asking for a person → hand-off, an order
number → the order tool, a product word → product search, else a plain answer), and
after a tool it repeats what the tool returned. Repeating is the point: if a tool
leaked another customer's order, the leak would show in the answer and the contract test
would catch it.
"""

from __future__ import annotations

import re

ORDER_NUMBER = re.compile(r"\b[A-Z]{2}-\d{4}\b")
PRODUCT_WORDS = {"tent": "tent", "jacket": "rain jacket", "mug": "mug"}
PLAIN_ANSWER = ["Hello! ", "I can help with our products, ", "your orders and our policies."]


def _param(tool: str, *preferred: str) -> str:
    """The argument name the shop's tool schema declares, so the fake stays in step with
    ``chatbot.tools``."""
    from chatbot.tools import TOOL_SCHEMAS

    for schema in TOOL_SCHEMAS:
        function = schema.get("function", schema)
        if function.get("name") == tool:
            properties = list((function.get("parameters") or {}).get("properties") or {})
            for name in preferred:
                if name in properties:
                    return name
            return properties[0] if properties else preferred[0]
    return preferred[0]


def decide(message: str) -> tuple[str, dict] | None:
    """The tool call a model would make for this message, if any."""
    if any(word in message.lower() for word in ("human", "a person", "agent")):
        return "request_handoff", {"reason": "The shopper asked for a person."}
    number = ORDER_NUMBER.search(message)
    if number:
        return "get_order_status", {_param("get_order_status", "order_number", "number"): number.group(0)}
    if "my order" in message.lower():
        return "get_order_status", {}  # the latest orders of whoever is signed in
    lowered = message.lower()
    for word, query in PRODUCT_WORDS.items():
        if word in lowered:
            return "search_products", {_param("search_products", "query", "q", "text"): query}
    return None


def answer_from_tool(output: str) -> list[str]:
    """The answer after a tool, in pieces as a model streams it."""
    text = f"Here is what I found: {output}"
    third = max(1, len(text) // 3)
    return [text[:third], text[third : 2 * third], text[2 * third :]]
