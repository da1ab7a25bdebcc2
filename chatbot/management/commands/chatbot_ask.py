"""``manage.py chatbot_ask --shop SLUG [--customer EMAIL] [--json] "question"``

Runs the shop's configured assistant once and prints the reply. With ``--json`` stdout
holds exactly one JSON object ``{"reply", "products", "intent", "handoff"}`` and
nothing else (logs go to stderr), so scripts and the outside evaluation can parse it.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chatbot.adapters import get_adapter
from chatbot.assistants import assistant_for_shop, get_assistant
from chatbot.assistants.base import AssistantContext, AssistantError
from chatbot.exceptions import ChatbotImproperlyConfigured
from chatbot.vocabulary import Shopper, quick_reply


class Command(BaseCommand):
    help = "Ask a shop's assistant one question and print its reply."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("question", nargs="+", help="The shopper's message.")
        parser.add_argument("--shop", required=True, help="Shop id (slug), e.g. demo or demo-zh.")
        parser.add_argument("--customer", help="Ask as this signed-in customer (email).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object and nothing else.")
        parser.add_argument("--assistant", help="Use this assistant instead of the shop's (local, coze…).")

    def handle(self, *args: Any, **options: Any) -> None:
        adapter = get_adapter()
        shop = adapter.get_shop(options["shop"])
        if shop is None:
            known = ", ".join(adapter.list_shop_ids()) or "none"
            raise CommandError(f"Unknown shop {options['shop']!r} (shops: {known}).")
        customer_ref: str | None = None
        display_name = "Guest"
        if options.get("customer"):
            found = adapter.find_customer(options["customer"])
            if found is None:
                raise CommandError(f"No customer with the email {options['customer']!r}.")
            customer_ref, display_name = found
        try:
            assistant = (
                get_assistant(options["assistant"])
                if options.get("assistant")
                else assistant_for_shop(shop.id)
            )
        except ChatbotImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        context = AssistantContext(
            shop=shop,
            shopper=Shopper(
                chat_user_id=f"cli:{customer_ref or 'guest'}",
                display_name=display_name,
                customer_ref=customer_ref,
                language=shop.language,
            ),
            message=" ".join(options["question"]),
            adapter=adapter,
            language=shop.language,
            conversation_id="cli",
        )
        try:
            final = assistant.answer(context)
        except AssistantError as exc:
            raise CommandError(f"The {assistant.name} assistant failed ({exc.code}): {exc}") from exc
        if options["json"]:
            payload = {
                "reply": final.text,
                "products": [card.sku for card in final.products],
                "intent": final.intent,
                "handoff": final.handoff,
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        self.stdout.write(final.text)
        for card in final.products:
            stock = "in stock" if card.in_stock else "out of stock"
            self.stdout.write(f"  [{card.sku}] {card.name} — {card.price} {card.currency}, {stock}")
        if final.quick_replies:
            labels = [quick_reply(option).label for option in final.quick_replies]
            self.stdout.write("  quick replies: " + " | ".join(labels))
        if final.handoff:
            self.stdout.write("  (handed off to a person)")
        self.stderr.write(f"intent: {final.intent}")
