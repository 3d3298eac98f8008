"""Addresses: what counts as this host's own loopback.

Both sides refuse plaintext gRPC off loopback (the kit's channel, the collector's
listener), so both ask the same question the same way.
"""

from __future__ import annotations

import ipaddress


def is_loopback(address: str) -> bool:
    """True when ``HOST:PORT`` (or ``[v6]:PORT``) names this host's loopback."""
    host = address.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
