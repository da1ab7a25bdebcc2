"""``manage.py chatbot_shopper_data {export,delete} --shop SLUG (--customer EMAIL | --chat-user ID)``

``export`` prints one JSON object on stdout (every conversation of the shopper in that
shop, every message with role, text, time and status, the ratings, and the engine's own
copy). ``delete`` asks nothing: it erases them (on Stream too) and prints what it deleted.
Both are logged (``chatbot.shopper_data``), without message texts.
"""

from __future__ import annotations

import getpass
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chatbot import shopper_data
from chatbot.adapters import get_adapter
from chatbot.exceptions import VendorError


class Command(BaseCommand):
    help = "Export (JSON on stdout) or delete one shopper's conversations in a shop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["export", "delete"])
        parser.add_argument("--shop", required=True, help="Shop id (slug), e.g. demo.")
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--customer", help="The customer's email (found through the shop adapter).")
        who.add_argument(
            "--chat-user", dest="chat_user", help="The chat user id (a guest's g…, a customer's c…)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        shop_id = options["shop"]
        if get_adapter().get_shop(shop_id) is None:
            raise CommandError(f"Unknown shop {shop_id!r}.")
        if options.get("customer"):
            try:
                chat_user_id = shopper_data.chat_user_for_email(options["customer"])
            except shopper_data.ShopperNotFound as exc:
                raise CommandError(str(exc)) from exc
        else:
            chat_user_id = options["chat_user"].strip()
        conversations = list(shopper_data.conversations_of(shop_id, chat_user_id))
        actor = f"manage.py ({getpass.getuser()})"
        try:
            if options["action"] == "export":
                data = shopper_data.export(conversations, actor=actor)
                self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
                return
            counts = shopper_data.delete(conversations, actor=actor)
        except VendorError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Deleted {counts} of chat user {chat_user_id} in shop {shop_id}.")
