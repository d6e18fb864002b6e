"""Who may read metrics: with a token configured (``metrics_token``), whoever presents it as
``Authorization: Bearer <token>``, from anywhere; without one, loopback clients only.

Metrics name routes, stages and counts, no personal data, but they tell an outsider how busy and how
healthy a server is, so they are not public by default.
"""

from __future__ import annotations

import hmac
import ipaddress
from enum import Enum

from pydantic import SecretStr


class MetricsAccess(Enum):
    ALLOWED = "allowed"
    TOKEN_NEEDED = "token_needed"  # 401: no token or a wrong one
    NOT_LOOPBACK = "not_loopback"  # 403: no token configured and the client is not on this machine


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and ::ffff:127.x; False for names and anything unparsable."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool((mapped or address).is_loopback)


def metrics_access(
    *, client_host: str | None, authorization: str | None, token: SecretStr | None
) -> MetricsAccess:
    """The decision for one request (``client_host``: the peer, after trusted proxy headers)."""
    if token is None:
        return MetricsAccess.ALLOWED if is_loopback(client_host) else MetricsAccess.NOT_LOOPBACK
    scheme, _, given = (authorization or "")[:500].partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected):
        return MetricsAccess.ALLOWED
    return MetricsAccess.TOKEN_NEEDED
