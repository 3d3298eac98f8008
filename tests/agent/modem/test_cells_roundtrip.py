"""Neighbour cells, carrier aggregation and 5G bands end to end: the simulated modem
encodes a scenario, the reader asks over a real pty, the engine and parsers read the
answers back, and the record carries them (``pantau.v1.SignalReading``)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.modem import cells
from agent.modem.model import CarrierComponent, NeighbourCell, signal_to_proto, strongest
from agent.modem.reader import Modem
from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario, ScenarioError
from pantau.v1 import records_pb2

LTE: dict[str, Any] = {
    "at_s": 0,
    "rat": "lte",
    "reg_state": "home",
    "mcc": "510",
    "mnc": "10",
    "tac": 0x3E8,
    "cell_id": 0x1A2D001,
    "pci": 123,
    "earfcn": 1850,
    "band": 3,
    "rssi_dbm": -65,
    "rsrp_dbm": -95,
    "rsrq_db": -10,
    "sinr_db": 12,
    "bandwidth_mhz": 15,
    "neighbours": [
        {"rat": "lte", "pci": 124, "earfcn": 1850, "rsrp_dbm": -98, "rsrq_db": -11},
        {"rat": "lte", "pci": 301, "earfcn": 500, "rsrp_dbm": -91, "rsrq_db": -9, "sinr_db": 7},
        {"rat": "umts", "psc": 310, "uarfcn": 10737, "rscp_dbm": -89, "ecio_db": -9},
    ],
    "carriers": [{"rat": "lte", "band": 1, "earfcn": 275, "bandwidth_mhz": 10, "pci": 280}],
}


class FakeClock:
    def __call__(self) -> float:
        return 1000.0


@contextlib.contextmanager
def serve(step: dict[str, Any], dialect: str, **identity: str) -> Iterator[SimModem]:
    scenario = Scenario.from_dict({"steps": [step], "identity": identity})
    sim = SimModem(scenario, dialect, clock=FakeClock())
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.mark.timeout(60)
def test_quectel_neighbours_and_carriers_reach_the_record() -> None:
    with serve(LTE, "quectel") as sim, Modem(sim.port_path) as modem:
        sample = modem.read_signal()
    assert sample.neighbours == (
        NeighbourCell(
            rat="lte",
            relation="intra-frequency",
            pci=124,
            earfcn=1850,
            rsrp_dbm=-98.0,
            rsrq_db=-11.0,
        ),
        NeighbourCell(
            rat="lte",
            relation="inter-frequency",
            pci=301,
            earfcn=500,
            rsrp_dbm=-91.0,
            rsrq_db=-9.0,
            sinr_db=7.0,
        ),
        NeighbourCell(
            rat="umts", relation="inter-rat", psc=310, uarfcn=10737, rscp_dbm=-89.0, ecio_db=-9.0
        ),
    )
    assert sample.carriers == (
        CarrierComponent(
            primary=True,
            rat="lte",
            band=3,
            earfcn=1850,
            bandwidth_mhz=15.0,
            pci=123,
            rsrp_dbm=-95.0,
            rsrq_db=-10.0,
            rssi_dbm=-65.0,
            sinr_db=12.0,
        ),
        CarrierComponent(primary=False, rat="lte", band=1, earfcn=275, bandwidth_mhz=10.0, pci=280),
    )
    assert strongest(sample.neighbours) == sample.neighbours[1]
    msg = records_pb2.SignalReading.FromString(signal_to_proto(sample).SerializeToString())
    assert msg.neighbours_reported
    assert [(n.pci, n.earfcn, n.rsrp_dbm) for n in msg.neighbours[:2]] == [
        (124, 1850, -98.0),
        (301, 500, -91.0),
    ]
    assert msg.neighbours[0].relation == records_pb2.CELL_RELATION_INTRA_FREQUENCY
    assert msg.neighbours[2].rat == records_pb2.CELL_RAT_UMTS
    assert not msg.neighbours[0].HasField("sinr_db")
    assert [(c.primary, c.band, c.bandwidth_mhz) for c in msg.carriers] == [
        (True, 3, 15.0),
        (False, 1, 10.0),
    ]
    assert (msg.pci, msg.earfcn, msg.tac, msg.cell_id, msg.band) == (123, 1850, 1000, 0x1A2D001, 3)


@pytest.mark.timeout(60)
def test_quectel_5g_nsa_band_and_nr_carrier() -> None:
    step = {
        **LTE,
        "rat": "nr5g-nsa",
        "nr_pci": 501,
        "nr_arfcn": 627264,
        "nr_band": 78,
        "nr_rsrp_dbm": -88,
        "nr_sinr_db": 21,
        "nr_rsrq_db": -11,
        "carriers": [],
    }
    with serve(step, "quectel", model="RM500Q-GL") as sim, Modem(sim.port_path) as modem:
        sample = modem.read_signal()
    assert (sample.rat, sample.nr_band, sample.nr_pci, sample.nr_arfcn) == (
        "nr5g-nsa",
        78,
        501,
        627264,
    )
    nr = sample.carriers[-1]
    assert (nr.rat, nr.band, nr.arfcn, nr.pci, nr.bandwidth_mhz) == ("nr", 78, 627264, 501, 100.0)
    assert signal_to_proto(sample).nr_band == 78


@pytest.mark.timeout(60)
def test_simcom_ceng_neighbours_on_a_model_that_documents_it() -> None:
    step = {**LTE, "rat": "ltem"}
    with (
        serve(step, "simcom", model="SIMCOM_SIM7070G") as sim,
        Modem(sim.port_path) as modem,
    ):
        sample = modem.read_signal()
    assert [(n.pci, n.relation, n.rsrp_dbm) for n in sample.neighbours or ()] == [
        (124, "intra-frequency", -98.0),
        (301, "inter-frequency", -91.0),
    ]  # +CENG lists LTE neighbours only
    assert sample.carriers == ()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("dialect", ["3gpp", "huawei", "fibocom", "simcom"])
def test_dialects_without_a_neighbour_command_say_none(dialect: str) -> None:
    """3GPP gives the serving cell only; SIM7600's manual has no +CENG: the reading
    says "cannot say" (None), not "none heard" (())."""
    with serve(LTE, dialect) as sim, Modem(sim.port_path) as modem:
        sample = modem.read_signal()
    assert sample.neighbours is None
    assert sample.rsrp_dbm is not None
    assert not signal_to_proto(sample).neighbours_reported


@pytest.mark.timeout(60)
def test_sierra_lteinfo_neighbours_without_the_serving_cell() -> None:
    with serve(LTE, "sierra") as sim, Modem(sim.port_path) as modem:
        sample = modem.read_signal()
    assert sample.neighbours == (
        NeighbourCell(
            rat="lte", relation="intra-frequency", pci=124, earfcn=1850, rsrp_dbm=-98.0,
            rsrq_db=-11.0,
        ),
        NeighbourCell(
            rat="lte", relation="inter-frequency", pci=301, earfcn=500, rsrp_dbm=-91.0,
            rsrq_db=-9.0,
        ),
    )  # fmt: skip
    assert sample.carriers == ()


@pytest.mark.timeout(60)
def test_a_scenario_without_neighbours_hears_none() -> None:
    step = {k: v for k, v in LTE.items() if k not in ("neighbours", "carriers")}
    with serve(step, "quectel") as sim, Modem(sim.port_path) as modem:
        sample = modem.read_signal()
    assert sample.neighbours == ()
    assert [c.primary for c in sample.carriers] == [True]
    assert signal_to_proto(sample).neighbours_reported


@pytest.mark.timeout(60)
def test_wcdma_serving_cell_relates_its_neighbours_by_channel() -> None:
    step = {
        "at_s": 0,
        "rat": "umts",
        "lac": 0x1A2B,
        "cell_id": 0xC3D4,
        "rscp_dbm": -85,
        "ecio_db": -7,
        "neighbours": [
            {"rat": "umts", "psc": 45, "uarfcn": 10762, "rscp_dbm": -99, "ecio_db": -12},
            {"rat": "lte", "pci": 123, "earfcn": 1850, "rsrp_dbm": -101, "rsrq_db": -12},
        ],
    }
    with serve(step, "quectel") as sim, Modem(sim.port_path) as modem:
        sample = modem.read_signal()
    # The simulated +QENG WCDMA serving line has no uarfcn: the relation stays open.
    assert [(n.rat, n.relation) for n in sample.neighbours or ()] == [
        ("umts", None),
        ("lte", "inter-rat"),
    ]
    assert cells.relate(sample.neighbours or (), "umts", 10762)[0].relation == "intra-frequency"


@pytest.mark.parametrize(
    ("neighbours", "message"),
    [
        ([{"pci": 1}], "neighbours[0].rat: missing"),
        ([{"rat": "nr", "pci": 1}], "neighbours[0].rat: expected one of"),
        ([{"rat": "lte", "pci": 900}], "neighbours[0].pci: expected an integer from 0 to 503"),
        ([{"rat": "lte", "band": 3}], "neighbours[0]: unknown key 'band'"),
        ("lte", "neighbours: expected a list of tables"),
    ],
)
def test_bad_neighbour_tables_are_named(neighbours: object, message: str) -> None:
    with pytest.raises(ScenarioError, match=re.escape(f"s.toml: steps[0].{message}")):
        Scenario.from_dict({"steps": [{"at_s": 0, "neighbours": neighbours}]}, source="s.toml")


def test_a_carrier_bandwidth_must_be_a_real_channel_width() -> None:
    with pytest.raises(ScenarioError, match=r"carriers\[0\].bandwidth_mhz: expected one of"):
        Scenario.from_dict(
            {"steps": [{"at_s": 0, "carriers": [{"rat": "lte", "bandwidth_mhz": 12}]}]}
        )


def test_the_status_file_keeps_neighbours_and_carriers_as_plain_lists() -> None:
    """The running agent writes its last reading as JSON; check reads it back."""
    import json

    from agent.modem.model import SignalSample, cells_from_dicts
    from agent.tech.status import reading_dict

    sample = SignalSample(
        dialect="quectel",
        rat="lte",
        neighbours=(NeighbourCell(rat="lte", relation="intra-frequency", pci=1, rsrp_dbm=-90.0),),
        carriers=(CarrierComponent(primary=True, rat="lte", band=3, bandwidth_mhz=20.0),),
    )
    doc = json.loads(json.dumps(reading_dict(signal_to_proto(sample))))
    assert doc["neighbours"] == [
        {"rat": "lte", "relation": "intra-frequency", "pci": 1, "rsrp_dbm": -90.0}
    ]
    assert cells_from_dicts(doc) == (sample.neighbours, sample.carriers)
    silent = json.loads(json.dumps(reading_dict(signal_to_proto(SignalSample(dialect="3gpp")))))
    assert cells_from_dicts(silent) == (None, ())
    heard_none = SignalSample(dialect="quectel", neighbours=())
    assert cells_from_dicts(reading_dict(signal_to_proto(heard_none))) == ((), ())


_LINE = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda head, body: head + body,
        st.sampled_from(
            [
                '+QENG: "neighbourcell intra","LTE",',
                '+QENG: "neighbourcell inter","LTE",',
                '+QENG: "neighbourcell","WCDMA",',
                '+QENG: "neighbourcell","GSM",',
                '+QENG: "neighbourcell","LTE",',
                '+QCAINFO: "PCC",',
                '+QCAINFO: "SCC",',
                "+CENG: ",
                "+CENG: 1,",
            ]
        ),
        st.text(alphabet='0123456789-,"ABCDEFLTNR x', max_size=60),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=6), st.sampled_from([None, "lte", "umts", "gsm"]))
def test_garbage_lines_never_crash_the_cell_parsers(lines: list[str], mode: str | None) -> None:
    for cell in cells.parse_qeng_neighbourcell(lines, serving_rat=mode) + cells.parse_ceng(lines):
        assert cell.rat in ("lte", "umts", "gsm", "nr")
    for cc in cells.parse_qcainfo(lines):
        assert cc.rat in ("lte", "nr")
        assert cc.bandwidth_mhz is None or 1.4 <= cc.bandwidth_mhz <= 400


def test_an_impossible_neighbour_value_is_absent_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    line = '+QENG: "neighbourcell intra","LTE",1850,612,-11,20,-70,8,30,5,62,10,62'
    with caplog.at_level("WARNING", logger="agent.modem.ranges"):
        (cell,) = cells.parse_qeng_neighbourcell([line])
    assert (cell.pci, cell.rsrp_dbm, cell.rsrq_db, cell.earfcn) == (None, None, -11.0, 1850)
    reasons = [r.getMessage() for r in caplog.records]
    assert any("pci=612 is impossible on lte (valid 0..503)" in r for r in reasons)
    assert any("rsrp_dbm=20.0 is impossible on lte" in r for r in reasons)
