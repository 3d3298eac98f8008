"""The REST API on a TPS whose kit has a modem per operator: the site's operators side
by side, and the coverage export per (site, operator) with its class, as GeoJSON and
CSV; an operator's account sees its own network's only."""

from __future__ import annotations

import csv
import io
import time

from conftest import INDOSAT, TELKOMSEL, XL, WebSite

from collector.web.seed import ping_record, signal_record
from pantau.v1 import records_pb2

CODE = "3273011002077"  # Bandung


def three_modems(now: int) -> list[records_pb2.Record]:
    tsel = signal_record(1, now, mcc="510", mnc="10", name="Telkomsel", rsrp=-80, cell_id=7)
    isat = signal_record(2, now + 1, mcc="510", mnc="01", name="Indosat", rsrp=-116, cell_id=8)
    xl = signal_record(3, now + 2, mcc="510", mnc="11", name="XL", rsrp=-100, cell_id=9)
    for field in ("mcc", "mnc", "operator_name", "rsrp_dbm", "sinr_db", "rsrq_db", "cell_id"):
        xl.signal.ClearField(field)
    xl.signal.reg_state, xl.signal.rat = records_pb2.REG_STATE_SEARCHING, records_pb2.RAT_NONE
    ping = ping_record(4, now + 3, rtts=[20.0, 22.0, 24.0])
    for record, (name, network) in zip(
        (tsel, isat, xl, ping),
        (("tsel", TELKOMSEL), ("isat", INDOSAT), ("xl", XL), ("tsel", TELKOMSEL)),
        strict=True,
    ):
        record.modem.name, record.modem.network = name, network
    return [tsel, isat, xl, ping]


def test_a_site_and_the_coverage_export_per_operator(any_web_site: WebSite) -> None:
    web_site = any_web_site
    assert web_site.ingest(CODE, three_modems(time.time_ns())).through_seq == 4
    api = web_site.user("viewer")
    operators = api.get(f"/api/v1/sites/{CODE}").json()["operators"]
    assert [(o["operator"], o["modem"], o["coverage"]) for o in operators] == [
        (INDOSAT, "isat", "weak"),
        (TELKOMSEL, "tsel", "strong"),
        (XL, "xl", "none"),
    ]
    tsel = operators[1]
    assert (tsel["operator_name"], tsel["rsrp_dbm"], tsel["ping_median_ms"]) == (
        "Telkomsel", -80.0, 22.0,
    )  # fmt: skip
    assert operators[2]["reg_state"] == "searching" and operators[2]["operator_name"] == "XL Axiata"

    geo = api.get("/api/v1/coverage", params={"by": "operator", "hours": 1}).json()
    mine = [f["properties"] for f in geo["features"] if f["properties"]["site_code"] == CODE]
    assert [(p["operator"], p["coverage"], p["readings"]) for p in mine] == [
        (INDOSAT, "weak", 1), (TELKOMSEL, "strong", 1), (XL, "none", 1),
    ]  # fmt: skip
    r = api.get("/api/v1/coverage", params={"by": "operator", "format": "csv", "operator": "xl"})
    assert 'filename="pantau-coverage-operators.csv"' in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["operator"] for row in rows} == {XL}
    assert [row["coverage"] for row in rows if row["site_code"] == CODE] == ["none"]

    # an Indosat account: its own network's row, on the site and in the export
    isat = web_site.user("operator", "indosat")
    mine = isat.get(f"/api/v1/sites/{CODE}").json()["operators"]
    assert [o["operator"] for o in mine] == [INDOSAT]
    geo = isat.get("/api/v1/coverage", params={"by": "operator"}).json()
    assert {f["properties"]["operator"] for f in geo["features"]} == {INDOSAT}


def test_the_map_gives_each_network_its_own_status_at_a_multi_modem_site(
    web_site: WebSite,
) -> None:
    """Indosat down at the TPS, Telkomsel and XL fine: the site is down, but each
    network's own status (the map's ``operators``) is its own; the kit's silence would
    be every network's."""
    assert web_site.ingest(CODE, three_modems(time.time_ns())).through_seq == 4
    now = time.time_ns()
    web_site.store.raise_problem(
        CODE, INDOSAT, "NO_SERVICE", route="noc", first_bad_ns=now - 60 * 10**9,
        last_bad_ns=now, evidence={}, historical=False, now_ns=now, reopen_window_ns=0,
    )  # fmt: skip
    web_site.store.raise_problem(
        CODE, XL, "WEAK_SIGNAL", route="noc", first_bad_ns=now - 60 * 10**9,
        last_bad_ns=now, evidence={}, historical=False, now_ns=now, reopen_window_ns=0,
    )  # fmt: skip
    web_site.notify([CODE])
    body = web_site.user("viewer").get("/api/v1/map").json()
    assert body["columns"][-1] == "operators"
    (row,) = [dict(zip(body["columns"], r, strict=True)) for r in body["rows"] if r[0] == CODE]
    assert row["status"] == "down"
    assert row["operators"] == {INDOSAT: "down", TELKOMSEL: "ok", XL: "degraded"}
    single = [r for r in body["rows"] if r[0] != CODE]
    assert single and all(r[-1] == {} for r in single)  # one network: its status is the site's
    # An account scoped to one network sees that network's own status only.
    scoped = web_site.user("operator", "telkomsel").get("/api/v1/map").json()
    (mine,) = [r for r in scoped["rows"] if r[0] == CODE]
    assert mine[-1] == {TELKOMSEL: "ok"}
