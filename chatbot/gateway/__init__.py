"""The gateway role: one AI service for many shops (docs/gateway.md).

- ``protocol``: the signed wire format both sides share (headers, signing string, replay
  guard); the shop's ``gateway`` assistant and the gateway's routes import it.
- ``secrets``: per-shop secrets stored encrypted (Fernet) or named by environment variable.
- ``models``, ``admin``: ``GatewayShop``, one row per shop the gateway serves.
- ``views``, ``urls``: ``POST /gateway/v1/chat`` (SSE), with CORS for the shop's origins.
- ``chat_request``: the request's body, read and checked.
- ``runner``: runs the shop's configured assistant and turns its events into SSE.
- ``shop_tools``: the tools of that assistant: each call asks the shop (signed callback).
- ``callback``, ``tokens``: the shop side of the tool callback (``POST
  /api/chatbot/gateway-tools``) and the conversation token it checks.
"""
