"""The kit's gRPC channel to the collector: TLS pinned to the deployment's CA.

Plaintext is allowed only to a loopback address, or when the configuration says
``insecure = true`` (logged as a warning every time a channel opens).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import AgentError
from pantau.core.net import is_loopback

if TYPE_CHECKING:  # grpc is imported when a channel opens, not when config is read
    import grpc

log = logging.getLogger(__name__)


class ChannelError(AgentError):
    """The channel cannot be set up as configured (bad CA file, plaintext refused)."""


#: HTTP/2 keepalive: a ping this long after the collector was last heard (any frame
#: from it resets the timer), and the connection is given up when the ping's ack is
#: this late. A collector that hangs (SIGSTOP, a dead path, a half-open NAT flow) is
#: noticed within ``KEEPALIVE_TIME_MS + KEEPALIVE_TIMEOUT_MS`` (18 s); carrier NAT,
#: which forgets idle flows after a few minutes, never sees the stream idle. A
#: stream the collector acks every few seconds needs no pings at all; one that
#: carries nothing costs about 100 bytes per ping on the air (~1 MB a day).
KEEPALIVE_TIME_MS = 8_000
KEEPALIVE_TIMEOUT_MS = 10_000


def channel_options() -> list[tuple[str, int]]:
    """Keepalive that notices a hung collector, matched by the collector's ping policy
    (collector.server.server_options), so it never answers GOAWAY "too_many_pings"."""
    return [
        ("grpc.keepalive_time_ms", KEEPALIVE_TIME_MS),
        ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
        # No flow-control (BDP) probes: gRPC keeps one ping in flight at a time, and a
        # BDP ping sent just before the collector hung would hold back the keepalive
        # ping (and its deadline) until the BDP ping's own 60 s timeout. Telemetry
        # batches are small; the measured window buys nothing here.
        ("grpc.http2.bdp_probe", 0),
        # gRPC enforces a ping's deadline through this one, not keepalive_timeout_ms.
        ("grpc.http2.ping_timeout_ms", KEEPALIVE_TIMEOUT_MS),
        ("grpc.max_receive_message_length", 4 * 1024 * 1024),
        ("grpc.initial_reconnect_backoff_ms", 1_000),
        ("grpc.max_reconnect_backoff_ms", 60_000),
    ]


def open_channel(
    address: str, *, ca_file: str = "", insecure: bool = False, connection: int | None = None
) -> grpc.aio.Channel:
    """A channel to the collector. gRPC shares one TCP connection among the channels
    of a process to one address; channels given different ``connection`` numbers get
    connections of their own (the fleet simulator: one, or a few kits, per connection)."""
    import grpc

    options = channel_options()
    if connection is not None:
        options.append(("pantau.connection", connection))

    if ca_file:
        try:
            root = Path(ca_file).read_bytes()
        except OSError as exc:
            raise ChannelError(
                f"cannot read the collector CA file {ca_file}: {exc.strerror}"
            ) from None
        if b"BEGIN CERTIFICATE" not in root:
            raise ChannelError(
                f"{ca_file} is not a PEM certificate (expected the collector's ca.crt)"
            )
        return grpc.aio.secure_channel(
            address,
            grpc.ssl_channel_credentials(root_certificates=root),
            options=options,
            compression=grpc.Compression.Gzip,
        )
    if not is_loopback(address):
        if not insecure:
            raise ChannelError(
                f"refusing plaintext to {address}: give the collector's CA file (ca_file / "
                "--ca-file) or, only for testing, insecure = true / --insecure"
            )
        log.warning("connecting to %s in PLAINTEXT: the credential crosses the network", address)
    return grpc.aio.insecure_channel(address, options=options, compression=grpc.Compression.Gzip)
