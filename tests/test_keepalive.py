"""The kit's keepalive and the collector's ping policy must agree, or the collector
answers the kit's pings with GOAWAY "too_many_pings" and the stream drops."""

from __future__ import annotations

from agent.channel import channel_options
from collector.server import server_options


def test_client_pings_are_never_more_frequent_than_the_server_permits() -> None:
    client = dict(channel_options())
    server = dict(server_options())
    assert server["grpc.keepalive_permit_without_calls"] == 1
    assert client["grpc.keepalive_permit_without_calls"] == 1
    # gRPC counts a strike for each ping sooner than the minimum interval.
    assert (
        client["grpc.keepalive_time_ms"]
        >= server["grpc.http2.min_recv_ping_interval_without_data_ms"]
    )
    # Often enough for carrier NAT, which forgets idle flows after a few minutes.
    assert client["grpc.keepalive_time_ms"] <= 180_000
    assert client["grpc.max_receive_message_length"] >= 64 * 1024


def test_a_hung_collector_is_noticed_within_20_s() -> None:
    """A ping at most every keepalive_time, given up after keepalive_timeout: the worst
    case to notice a collector that stopped answering (SIGSTOP; tested for real in
    tests/agent/test_kit_faults.py)."""
    client = dict(channel_options())
    assert client["grpc.keepalive_time_ms"] + client["grpc.keepalive_timeout_ms"] <= 20_000
    assert client["grpc.http2.max_pings_without_data"] == 0  # keep pinging a silent peer
