"""Who the client is behind reverse proxies we trust, and nobody else.

``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed only from peers in
``LEARNGRAPH_TRUSTED_PROXIES``: any other sender (a local process, a client
talking to us directly) could write them to pass as another address and step
around the per-address limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.requests import HTTPConnection

Networks = Sequence[IPv4Network | IPv6Network]


def _address(value: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address | None, trusted: Networks) -> bool:
    return address is not None and any(address in network for network in trusted)


def _from_trusted_proxy(conn: HTTPConnection, trusted: Networks) -> bool:
    return bool(trusted) and conn.client is not None and _trusted(_address(conn.client.host),
                                                                  trusted)


def client_address(conn: HTTPConnection, trusted: Networks) -> str:
    """The client's address: the peer, or from a trusted proxy the nearest untrusted hop
    its ``X-Forwarded-For`` names (read right to left, past other trusted proxies)."""
    if conn.client is None:
        return "unknown"
    client = conn.client.host
    if not _from_trusted_proxy(conn, trusted):
        return client
    hops = [hop for value in conn.headers.getlist("x-forwarded-for") for hop in value.split(",")]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # not an address: believe nothing further left
        client = str(address)
        if not _trusted(address, trusted):
            break
    return client


def forwarded_proto(conn: HTTPConnection, trusted: Networks) -> str | None:
    """The scheme the client used, as a trusted proxy reports it (else None)."""
    if not _from_trusted_proxy(conn, trusted):
        return None
    value = conn.headers.get("x-forwarded-proto", "").split(",", 1)[0].strip().lower()
    return value or None
