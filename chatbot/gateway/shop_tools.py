"""The gateway's side of the tool callback: ask the conversation's shop to run a tool
(docs/gateway.md, "Tool callback")."""

from __future__ import annotations

import json
import logging
import secrets as random_secrets
from typing import Any

import httpx

from .. import conf
from ..assistants.clients import loop_client
from . import protocol
from .chat_request import ToolCallback

logger = logging.getLogger("chatbot.gateway")


class ShopTools:
    """``context.remote_tools`` on the gateway: asks the conversation's shop to run a
    tool, signed with the shop's tool secret, within CHATBOT_GATEWAY_TOOL_TIMEOUT_SECONDS.
    Any failure becomes a tool result the model can read, never a failed reply."""

    def __init__(self, shop_id: str, callback: ToolCallback | None, secret: str) -> None:
        self.shop_id = shop_id
        self.callback = callback
        self.secret = secret
        self.timeout = float(conf.get("CHATBOT_GATEWAY_TOOL_TIMEOUT_SECONDS"))

    async def __call__(self, name: str, arguments: Any) -> dict[str, Any]:
        if self.callback is None or not self.secret:
            return _unavailable("This shop's data cannot be reached from the assistant.")
        body = json.dumps(
            {
                "request_id": random_secrets.token_hex(16),
                "token": self.callback.token,
                "name": name,
                "arguments": arguments,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            **protocol.signed_headers(self.shop_id, self.secret, body),
        }
        try:
            response = await loop_client("chatbot.gateway.tools").post(
                self.callback.url, content=body, headers=headers, timeout=self.timeout
            )
        except httpx.TimeoutException:
            logger.warning("Shop %s did not answer tool %s in %.1f s", self.shop_id, name, self.timeout)
            return _unavailable("The shop did not answer in time; answer without this information.")
        except httpx.HTTPError as exc:
            logger.warning("Shop %s tool %s unreachable: %s", self.shop_id, name, type(exc).__name__)
            return _unavailable("The shop could not be reached; answer without this information.")
        if response.status_code != 200:
            logger.warning("Shop %s refused tool %s: HTTP %s", self.shop_id, name, response.status_code)
            return _unavailable("The shop refused this request; answer without this information.")
        try:
            result = response.json().get("result")
        except (ValueError, AttributeError):
            result = None
        if not isinstance(result, dict):
            return _unavailable("The shop answered something unreadable.")
        return result


def _unavailable(message: str) -> dict[str, Any]:
    return {"error": "tool_unavailable", "message": message}
