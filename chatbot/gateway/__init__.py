"""The gateway role: one AI service for many shops (docs/gateway.md).

- ``protocol``: the signed wire format both sides share (headers, signing string, replay
  guard); the shop's ``gateway`` assistant and the gateway's routes import it.
- ``secrets``: per-shop secrets stored encrypted (Fernet) or named by environment variable.
- ``models``, ``admin``: ``GatewayShop``, one row per shop the gateway serves.
- ``views``, ``urls``: ``POST /gateway/v1/chat`` (SSE), with CORS for the shop's origins.
- ``runner``: runs the shop's configured assistant with tools that call the shop back.
- ``callback``: the shop side of the tool callback (``POST /api/chatbot/gateway-tools``).
"""
