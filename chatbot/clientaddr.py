"""The client's network address, for limits a client cannot dodge by changing cookies.

``REMOTE_ADDR`` unless the peer is a trusted proxy (``CHATBOT_TRUSTED_PROXIES``) and
``CHATBOT_CLIENT_IP_HEADER`` names the header it writes the client into (fly.io:
``Fly-Client-IP``). A header from anyone else is ignored: clients could write it. An IPv6
client is counted per /64, the block one customer line usually gets.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.http import HttpRequest

from . import conf

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _trusted(spec: str) -> tuple[bool, tuple[_Network, ...]]:
    items = [s.strip() for s in spec.split(",") if s.strip()]
    if "*" in items:
        return True, ()
    networks: list[_Network] = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            continue  # chatbot.W007 names bad entries at start-up
    return False, tuple(networks)


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
    everyone, networks = _trusted(str(conf.get("CHATBOT_TRUSTED_PROXIES") or ""))
    if everyone:
        return True
    return address is not None and any(address in n for n in networks)


def client_address(request: HttpRequest) -> str:
    """A stable key for the client's address ("unknown" if none can be read)."""
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    address = peer
    header = str(conf.get("CHATBOT_CLIENT_IP_HEADER") or "")
    if header and _is_trusted(peer):
        raw = request.headers.get(header, "")
        # A list (X-Forwarded-For): the right-most entry no trusted proxy wrote.
        for item in reversed([p for p in raw.split(",") if p.strip()]):
            candidate = _parse(item)
            if candidate is None:
                break
            address = candidate
            if not _is_trusted(candidate):
                break
    if address is None:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def bad_trusted_proxies(spec: str) -> list[str]:
    """Entries of CHATBOT_TRUSTED_PROXIES that are neither "*" nor an address or network."""
    bad = []
    for item in (s.strip() for s in spec.split(",")):
        if not item or item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            bad.append(item)
    return bad
