"""The link emulator's pure parts: impairment engine, schedules, signal mapping, TTL restore.

No namespaces or TUN devices here: seeded RNGs, synthetic arrival times, statistical checks
with bounds of at least 4 standard deviations (fixed seeds make them deterministic anyway).
"""

import itertools
import math
import random
import struct
from dataclasses import replace

import pytest

from agent.sim import link_cli
from agent.sim.link import (
    FixedSchedule,
    GilbertElliott,
    Impairment,
    LinkConfigError,
    LinkParams,
    ScenarioSchedule,
    ipv4_checksum,
    params_for_state,
    restore_hop,
)
from agent.sim.scenario import RadioState, Scenario, bundled_scenario, load_scenario

N = 20_000


def engine(seed: int = 7) -> Impairment:
    return Impairment(random.Random(seed))


def run(params: LinkParams, n: int = N, spacing_s: float = 0.01, size: int = 100, seed: int = 7):
    """Decisions for ``n`` packets arriving every ``spacing_s``: (arrival, deliver or None)."""
    eng = engine(seed)
    return eng, [(i * spacing_s, eng.decide(params, i * spacing_s, size)) for i in range(n)]


def sigma(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n)


def test_perfect_link_delivers_on_arrival() -> None:
    eng, out = run(LinkParams(), n=100)
    assert all(deliver == arrival for arrival, deliver in out)
    assert eng.stats.packets == eng.stats.delivered == 100
    assert eng.stats.bytes_in == eng.stats.bytes_out == 100 * 100


def test_fixed_delay() -> None:
    _, out = run(LinkParams(delay_ms=80.0), n=100)
    assert all(deliver == pytest.approx(arrival + 0.080) for arrival, deliver in out)


def test_jitter_is_uniform_around_the_delay() -> None:
    # packets 100 ms apart cannot overtake each other: the delays are the raw draws
    _, out = run(LinkParams(delay_ms=40.0, jitter_ms=10.0), spacing_s=0.1)
    delays_ms = [(deliver - arrival) * 1000 for arrival, deliver in out if deliver is not None]
    assert min(delays_ms) >= 30.0 and max(delays_ms) <= 50.0
    assert min(delays_ms) < 30.1 and max(delays_ms) > 49.9  # the whole range is used
    mean = sum(delays_ms) / len(delays_ms)
    assert abs(mean - 40.0) < 4 * (10.0 / math.sqrt(3)) / math.sqrt(N)
    below = sum(d < 35.0 for d in delays_ms) / N  # a quarter of a uniform ±10 ms
    assert abs(below - 0.25) < 4 * sigma(0.25, N)


def test_jitter_keeps_order_unless_reorder() -> None:
    params = LinkParams(delay_ms=40.0, jitter_ms=20.0)  # 1 ms apart: draws overlap a lot
    _, kept = run(params, n=2000, spacing_s=0.001)
    delivered = [d for _, d in kept if d is not None]
    assert delivered == sorted(delivered)
    _, shuffled = run(replace(params, reorder=True), n=2000, spacing_s=0.001)
    delivered = [d for _, d in shuffled if d is not None]
    assert delivered != sorted(delivered)


def test_jitter_never_makes_a_negative_delay() -> None:
    _, out = run(LinkParams(delay_ms=1.0, jitter_ms=5.0, reorder=True), n=2000)
    assert all(deliver is not None and deliver >= arrival for arrival, deliver in out)


@pytest.mark.parametrize("loss", [0.01, 0.2, 0.5])
def test_random_loss_ratio(loss: float) -> None:
    eng, out = run(LinkParams(loss_ratio=loss))
    lost = sum(deliver is None for _, deliver in out) / N
    assert abs(lost - loss) < 4 * sigma(loss, N)
    assert eng.stats.dropped_loss == round(lost * N)
    assert eng.stats.delivered + eng.stats.dropped_loss == N


def test_random_loss_is_independent() -> None:
    _, out = run(LinkParams(loss_ratio=0.3))
    lost = [deliver is None for _, deliver in out]
    after_loss = [b for a, b in itertools.pairwise(lost) if a]
    assert abs(sum(after_loss) / len(after_loss) - 0.3) < 4 * sigma(0.3, len(after_loss))


def test_gilbert_elliott_long_run_loss_and_burst_length() -> None:
    ge = GilbertElliott(p_enter_bad=0.02, p_leave_bad=0.25, loss_good=0.0, loss_bad=1.0)
    assert ge.bad_fraction == pytest.approx(0.02 / 0.27)
    assert ge.mean_bad_packets == 4.0
    n = 100_000
    eng, out = run(LinkParams(burst=ge), n=n)
    lost = [deliver is None for _, deliver in out]
    ratio = sum(lost) / n
    # bursts make the ratio noisier than a binomial: allow 15% relative
    assert abs(ratio - ge.loss_ratio) < 0.15 * ge.loss_ratio
    runs, length = [], 0
    for gone in lost:
        if gone:
            length += 1
        elif length:
            runs.append(length)
            length = 0
    mean_run = sum(runs) / len(runs)  # geometric with mean 1 / p_leave_bad
    assert abs(mean_run - 4.0) < 4 * math.sqrt(1 - 0.25) / 0.25 / math.sqrt(len(runs))
    assert eng.stats.dropped_burst == sum(lost)


def test_gilbert_elliott_loss_is_bursty_not_independent() -> None:
    ge = GilbertElliott(p_enter_bad=0.05, p_leave_bad=0.3, loss_good=0.01, loss_bad=0.6)
    _, out = run(LinkParams(burst=ge), n=50_000)
    lost = [deliver is None for _, deliver in out]
    overall = sum(lost) / len(lost)
    after_loss = [b for a, b in itertools.pairwise(lost) if a]
    assert abs(overall - ge.loss_ratio) < 0.15 * ge.loss_ratio
    assert sum(after_loss) / len(after_loss) > 2.5 * overall


def test_outage_drops_everything_and_counts_it() -> None:
    eng, out = run(LinkParams(outage=True, delay_ms=10.0), n=50)
    assert all(deliver is None for _, deliver in out)
    assert eng.stats.dropped_outage == 50 and eng.stats.delivered == 0


def test_rate_serializes_back_to_back_packets() -> None:
    eng = engine()
    params = LinkParams(rate_bps=1_000_000.0, delay_ms=5.0)  # 1250 B = 10 ms on the wire
    times = [eng.decide(params, 0.0, 1250) for _ in range(5)]
    assert times == pytest.approx([0.015, 0.025, 0.035, 0.045, 0.055])
    # after the queue drains a packet only pays its own serialization
    assert eng.decide(params, 1.0, 1250) == pytest.approx(1.015)


def test_limit_drops_what_does_not_fit() -> None:
    eng = engine()
    params = LinkParams(delay_ms=100.0, limit_packets=5)
    out = [eng.decide(params, 0.001 * i, 100) for i in range(10)]
    assert [d is None for d in out] == [False] * 5 + [True] * 5
    assert eng.stats.dropped_limit == 5
    assert eng.decide(params, 0.2, 100) is not None  # the first five have left


def test_same_seed_same_decisions() -> None:
    params = LinkParams(delay_ms=30, jitter_ms=10, loss_ratio=0.1, burst=GilbertElliott(0.05, 0.3))
    assert run(params, n=500, seed=3)[1] == run(params, n=500, seed=3)[1]
    assert run(params, n=500, seed=3)[1] != run(params, n=500, seed=4)[1]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: LinkParams(loss_ratio=1.5), "loss_ratio must be between 0 and 1, got 1.5"),
        (lambda: LinkParams(delay_ms=-1), "delay_ms must be between 0 and 60000, got -1"),
        (lambda: LinkParams(limit_packets=0), "limit_packets must be between 1 and 1e+06, got 0"),
        (lambda: LinkParams(rate_bps=10), "rate_bps must be between 1000 and 1e+11, got 10"),
        (lambda: GilbertElliott(0.1, 1.2), "burst.p_leave_bad must be between 0 and 1, got 1.2"),
        (lambda: GilbertElliott(0, 0), "burst.p_enter_bad and burst.p_leave_bad cannot both be 0"),
        (
            lambda: FixedSchedule(LinkParams(), ((5.0, 2.0),)),
            "outage window must be 0 <= start < end seconds, got 5..2",
        ),
    ],
)
def test_bad_parameters_name_the_field(make, message: str) -> None:
    with pytest.raises(LinkConfigError) as err:
        make()
    assert str(err.value) == message


def test_fixed_schedule_outage_windows() -> None:
    params = LinkParams(delay_ms=20.0)
    schedule = FixedSchedule(params, ((1.0, 2.0), (5.0, 5.5)))
    assert schedule.params_at(0.5) is params
    assert schedule.params_at(1.0).outage and schedule.params_at(1.0).delay_ms == 20.0
    assert not schedule.params_at(2.0).outage
    assert schedule.params_at(5.25).outage


# --- following the modem --------------------------------------------------------------------

GOOD_LTE = RadioState(rat="lte", reg_state="home", rsrp_dbm=-85.0, sinr_db=22.0)


@pytest.mark.parametrize(
    "state",
    [
        replace(GOOD_LTE, rat="none"),
        replace(GOOD_LTE, reg_state="searching"),
        replace(GOOD_LTE, reg_state="denied"),
        replace(GOOD_LTE, sim_state="absent"),
    ],
)
def test_no_service_is_an_outage(state: RadioState) -> None:
    assert params_for_state(state).outage


def test_good_lte_is_a_clean_link() -> None:
    params = params_for_state(GOOD_LTE)
    assert (params.delay_ms, params.jitter_ms, params.loss_ratio) == (15.0, 2.0, 0.0)
    assert params.burst is None and params.rate_bps == 20e6 and not params.outage
    assert params_for_state(GOOD_LTE, uplink=True).rate_bps == 5e6
    assert params_for_state(replace(GOOD_LTE, reg_state="roaming")) == params


def test_weak_signal_degrades_the_link_step_by_step() -> None:
    rsrps = [-85.0, -100.0, -105.0, -110.0, -114.0, -120.0, -140.0]
    links = [params_for_state(replace(GOOD_LTE, rsrp_dbm=rsrp)) for rsrp in rsrps]
    delays = [p.delay_ms for p in links]
    losses = [p.loss_ratio for p in links]
    rates = [p.rate_bps or 0.0 for p in links]
    assert delays == sorted(delays) and delays[0] < delays[-1]
    assert rates == sorted(rates, reverse=True) and rates[-1] < rates[0]
    assert losses[:4] == [0.0] * 4  # no random loss down to -110 dBm
    assert losses[4] == pytest.approx(0.04) and losses[-1] == 0.30
    assert delays[4] == pytest.approx(15.0 + 28.0)


def test_sinr_drives_jitter_and_bursty_loss() -> None:
    jitters = [params_for_state(replace(GOOD_LTE, sinr_db=s)).jitter_ms for s in (25, 12, 0, -4)]
    assert jitters == [2.0, 14.0, 32.0, 38.0]
    assert params_for_state(replace(GOOD_LTE, sinr_db=0.0)).burst is None
    burst = params_for_state(replace(GOOD_LTE, sinr_db=-4.0)).burst
    assert burst == GilbertElliott(0.04, 0.30, loss_good=0.0, loss_bad=0.5)


def test_unreported_signal_uses_the_rat_defaults() -> None:
    params = params_for_state(RadioState(rat="umts", reg_state="home"))
    assert (params.delay_ms, params.jitter_ms, params.loss_ratio) == (60.0, 8.0, 0.0)


def test_weak_signal_scenario_drives_the_link() -> None:
    scenario = load_scenario(bundled_scenario("weak-signal"))
    schedule = ScenarioSchedule(scenario, time_scale=10.0)  # 1 s of link = 10 s of scenario
    fine, weak, fine_again = (schedule.params_at(t) for t in (1.0, 2.5, 4.5))
    assert fine.loss_ratio == 0.0 and fine.burst is None
    assert weak.loss_ratio == pytest.approx(0.04) and weak.burst is not None
    assert weak.delay_ms > fine.delay_ms and weak.jitter_ms > fine.jitter_ms
    assert fine_again.loss_ratio == 0.0
    assert schedule.params_at(8.5) == schedule.params_at(2.5)  # the scenario loops (60 s)


def test_no_service_scenario_and_vanishing_port_are_outages() -> None:
    schedule = ScenarioSchedule(load_scenario(bundled_scenario("no-service")))
    assert not schedule.params_at(10.0).outage
    assert schedule.params_at(20.0).outage
    assert not schedule.params_at(40.0).outage
    steps = [{"at_s": 0, "rat": "lte"}, {"at_s": 5, "vanish_s": 3}]
    vanish = ScenarioSchedule(Scenario.from_dict({"steps": steps}))
    assert [vanish.params_at(t).outage for t in (4.0, 6.0, 9.0)] == [False, True, False]


def test_engine_follows_a_schedule_packet_by_packet() -> None:
    schedule = ScenarioSchedule(load_scenario(bundled_scenario("no-service")))
    eng = engine()
    out = [eng.decide(schedule.params_at(t), t, 100) for t in range(60)]
    assert [d is None for d in out] == [False] * 15 + [True] * 20 + [False] * 25


# --- TTL restore -----------------------------------------------------------------------------


def ipv4_packet(ttl: int, options: bytes = b"") -> bytes:
    ihl = (20 + len(options)) // 4
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(options) + 8, 1, 0, ttl, 1, 0,
        bytes([10, 250, 1, 1]), bytes([10, 250, 2, 2]),
    ) + options  # fmt: skip
    header = header[:10] + struct.pack("!H", ipv4_checksum(header)) + header[12:]
    return header + b"\x08\x00\x00\x00\x00\x01\x00\x01"


@pytest.mark.parametrize("options", [b"", b"\x01\x01\x01\x00"])
def test_restore_hop_increments_ttl_and_keeps_the_checksum_valid(options: bytes) -> None:
    packet = ipv4_packet(1, options)
    restored = restore_hop(packet)
    ihl = (restored[0] & 0x0F) * 4
    assert restored[8] == 2
    assert ipv4_checksum(restored[:ihl]) == 0  # a valid header sums to 0xFFFF
    assert restored[ihl:] == packet[ihl:] and len(restored) == len(packet)


def test_restore_hop_ipv6_and_garbage() -> None:
    ipv6 = bytes([0x60]) + bytes(6) + bytes([63]) + bytes(32)
    assert restore_hop(ipv6)[7] == 64 and len(restore_hop(ipv6)) == 40
    for garbage in (b"", b"\x45\x00", b"\x00" * 40, ipv4_packet(255)):
        assert restore_hop(garbage) == garbage


# --- command line (errors before any TUN device is touched) ----------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--loss", "2"], "link emulator: loss_ratio must be between 0 and 1, got 2.0"),
        (
            ["--burst", "0.1"],
            "link emulator: --burst: expected 2 or 4 numbers P,R[,LG,LB], got '0.1'",
        ),
        (["--outage", "5"], "link emulator: --outage: expected START:END seconds, got '5'"),
        (["--scenario", "/nonexistent.toml"], "link emulator: /nonexistent.toml: cannot read"),
    ],
)
def test_cli_rejects_bad_options(extra: list[str], message: str, capsys) -> None:
    assert link_cli.main(["--up-dev", "a", "--down-dev", "b", *extra]) == 2
    assert capsys.readouterr().err.startswith(message)
