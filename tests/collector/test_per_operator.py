"""A site's operators side by side, and the KPU-style coverage class (pure)."""

from __future__ import annotations

import pytest

from collector.per_operator import per_operator
from collector.store.model import StoredRecord
from pantau.core.coverage import coverage_class
from pantau.v1 import records_pb2

S = 1_000_000_000
HOME, SEARCHING = records_pb2.REG_STATE_HOME, records_pb2.REG_STATE_SEARCHING


@pytest.mark.parametrize(
    ("rsrp", "sinr", "readings", "registered", "expected"),
    [
        (None, None, 0, 0, "unknown"),  # no readings in the window
        (None, None, 5, 0, "none"),  # searching all along
        (-90.0, 12.0, 5, 2, "none"),  # registered in under half of them
        (-95.0, 10.0, 5, 5, "strong"),  # both at the strong bounds
        (-85.0, None, 5, 5, "strong"),  # no SINR reported: RSRP alone
        (-85.0, 9.9, 5, 5, "medium"),  # a strong RSRP with a middling SINR
        (-105.0, 0.0, 5, 5, "medium"),
        (-105.1, 5.0, 5, 5, "weak"),
        (-90.0, -0.5, 5, 5, "weak"),  # strong RSRP, SINR below 0 dB
        (-120.0, -4.0, 4, 2, "weak"),  # exactly half registered counts
    ],
)
def test_coverage_class(
    rsrp: float | None, sinr: float | None, readings: int, registered: int, expected: str
) -> None:
    assert coverage_class(rsrp, sinr, readings, registered) == expected


def stored(
    seq: int, t_s: int, record: records_pb2.Record, quality: str = "monotonic"
) -> StoredRecord:
    record.seq = seq
    kind = record.WhichOneof("body") or ""
    return StoredRecord("kit", "3171011001005", seq, kind, t_s * S, t_s * S, quality, t_s * S,
                        record.SerializeToString())  # fmt: skip


def reading(modem: tuple[str, str] | None, **fields: object) -> records_pb2.Record:
    r = records_pb2.Record(signal=records_pb2.SignalReading(**fields))  # type: ignore[arg-type]
    if modem:
        r.modem.name, r.modem.network = modem
    return r


def ping(modem: tuple[str, str] | None, median_ms: float, loss: float) -> records_pb2.Record:
    r = records_pb2.Record(ping=records_pb2.PingResult(median_ms=median_ms, loss_ratio=loss))
    if modem:
        r.modem.name, r.modem.network = modem
    return r


TSEL, XL = ("tsel", "510-10"), ("xl", "510-11")
LTE = {"rat": records_pb2.RAT_LTE, "reg_state": HOME, "mcc": "510", "mnc": "10"}


def test_three_modems_side_by_side_whatever_order_they_come_in() -> None:
    records = [
        stored(1, 10, reading(TSEL, rsrp_dbm=-85, sinr_db=15, **LTE)),
        stored(2, 11, reading(XL, reg_state=SEARCHING)),
        stored(4, 13, reading(TSEL, rsrp_dbm=-80, sinr_db=18, **LTE)),
        stored(3, 12, ping(TSEL, 30.0, 0.0)),
        stored(5, 14, ping(XL, 900.0, 1.0)),
        stored(6, 15, ping(None, 5.0, 0.0)),  # no modem, two operators: nobody's
        stored(7, 99, reading(TSEL, rsrp_dbm=-140, **LTE), quality="future"),
    ]
    tsel, xl = per_operator(list(reversed(records)))
    assert (tsel.operator, tsel.operator_name, tsel.modem) == ("510-10", "Telkomsel", "tsel")
    assert (tsel.signal_ns, tsel.rsrp_dbm, tsel.rat, tsel.reg_state) == (13 * S, -80, "lte", "home")
    assert (tsel.readings, tsel.rsrp_median_dbm, tsel.coverage) == (2, -82.5, "strong")
    assert (tsel.ping_ns, tsel.ping_median_ms, tsel.loss_ratio) == (12 * S, 30.0, 0.0)
    assert (xl.operator, xl.operator_name, xl.reg_state, xl.coverage) == (
        "510-11", "XL Axiata", "searching", "none",
    )  # fmt: skip
    assert (xl.ping_median_ms, xl.loss_ratio) == (900.0, 1.0)


def test_a_one_modem_kit_files_its_probes_under_its_only_operator() -> None:
    [only] = per_operator(
        [
            stored(1, 1, reading(None, rsrp_dbm=-100, sinr_db=3, **LTE)),
            stored(2, 2, ping(None, 40, 0)),
        ]
    )
    assert (only.operator, only.modem, only.coverage, only.ping_median_ms) == (
        "510-10", None, "medium", 40.0,
    )  # fmt: skip
    assert per_operator([]) == []
