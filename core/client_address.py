"""The address of the client that sent a request, behind as many reverse proxies as the operator trusts.

One rule for every caller that counts requests per client (the DRF throttles in ``core.throttling``
and the sign-in lockout in ``core.backends``), set by ``TRUSTED_PROXY_COUNT``
(docs/decisions/0009-client-addresses-behind-proxies.rst):

* 0 (the default): ``REMOTE_ADDR``; ``X-Forwarded-For`` is ignored, since any client can send it.
* N > 0: the N-th address from the right of ``X-Forwarded-For``. Each trusted proxy appends the
  address it received the request from, so the rightmost N entries were written by proxies the
  operator runs and everything to their left is whatever the client sent. DRF's ``NUM_PROXIES``
  makes the same choice, and the settings set it to the same number.

A request whose header has fewer entries than trusted proxies, or whose chosen entry is not an IP
address, did not come through the proxies as configured: ``REMOTE_ADDR`` is used.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's IP address as a string (``""`` only when the server gave no ``REMOTE_ADDR``)."""
    remote_addr: str = request.META.get("REMOTE_ADDR", "") or ""
    trusted = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if trusted <= 0 or not forwarded:
        return remote_addr
    entries = [entry.strip() for entry in forwarded.split(",")]
    if len(entries) < trusted:
        return remote_addr
    candidate = entries[-trusted]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr
