"""The client's address behind the reverse proxy.

nginx sets ``X-Real-IP`` to the address it accepted the connection from (overwriting
whatever the client sent).  Only when the request comes from a proxy listed in
FTU_TRUSTED_PROXIES is ``REMOTE_ADDR`` replaced with it, so a client talking to the
application directly cannot choose the address that audit rows, lockouts and the /metrics
guard see.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)


def address_in(address: str | None, values: list[str] | tuple[str, ...]) -> bool:
    """True when ``address`` belongs to one of the listed addresses or networks."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in networks(tuple(values)))


class TrustedProxyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        peer = request.META.get("REMOTE_ADDR")
        request.META["FTU_PEER_ADDR"] = peer or ""
        if settings.FTU_TRUSTED_PROXIES and address_in(peer, settings.FTU_TRUSTED_PROXIES):
            real = request.META.get("HTTP_X_REAL_IP", "").strip()
            try:
                ipaddress.ip_address(real)
            except ValueError:
                real = ""
            if real:
                request.META["REMOTE_ADDR"] = real
        return self.get_response(request)
