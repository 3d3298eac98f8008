"""A network-scoped account keeps its site exactly when the site is down.

While the modem searches, the latest reading names no network; the site must stay on
the account's map, list, site page, measurements, coverage and live stream (with its
NO_SERVICE ticket), and other networks' sites must stay out of it."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from conftest import TELKOMSEL, XL, WebSite
from test_web_live import SseReader

from collector.web.seed import signal_record
from pantau.v1 import records_pb2

_S = 10**9
DOWN = "3171011001005"  # on XL, searching now, a NO_SERVICE ticket open
QUIET = "3171011001006"  # on XL, searching now, no ticket yet
FOREIGN = "3171011001007"  # on Telkomsel, searching now


def searching(seq: int, wall_ns: int) -> records_pb2.Record:
    """A reading while the modem searches: no operator, no cell, no figures."""
    r = signal_record(seq, wall_ns, mcc="510", mnc="11", name="", rsrp=-95, cell_id=1)
    for name in ("mcc", "mnc", "operator_name", "cell_id", "rsrp_dbm", "rsrq_db", "sinr_db"):
        r.signal.ClearField(name)
    r.signal.reg_state = records_pb2.REG_STATE_SEARCHING
    return r


def on(network: str, seq: int, wall_ns: int) -> records_pb2.Record:
    mcc, mnc = network.split("-")
    return signal_record(seq, wall_ns, mcc=mcc, mnc=mnc, name="X", rsrp=-95, cell_id=77)


def _codes(api: Any) -> tuple[set[str], set[str]]:
    listed = {s["code"] for s in api.get("/api/v1/sites").json()["sites"]}
    mapped = {r[0] for r in api.get("/api/v1/map").json()["rows"]}
    return listed, mapped


def test_a_scoped_operator_keeps_its_site_while_it_is_down(any_web_site: WebSite) -> None:
    site = any_web_site
    xl = site.user("operator", "xl")
    tsel = site.user("operator", "telkomsel")
    now = time.time_ns()
    tokens = {code: site.enroll(code) for code in (DOWN, QUIET, FOREIGN)}
    for code, network in ((DOWN, XL), (QUIET, XL), (FOREIGN, TELKOMSEL)):
        site.ingest(code, [on(network, 1, now - 120 * _S)], token=tokens[code])
    site.notify([DOWN, QUIET, FOREIGN])

    stream = SseReader(xl)
    try:
        stream.next("hello")
        for code in (DOWN, QUIET, FOREIGN):
            site.ingest(code, [searching(2, now - 60 * _S)], token=tokens[code])
        site.store.raise_problem(
            DOWN, XL, "NO_SERVICE", route="noc", first_bad_ns=now - 60 * _S, last_bad_ns=now,
            evidence={"why": "searching"}, historical=False, now_ns=now, reopen_window_ns=0,
        )  # fmt: skip
        site.notify([DOWN])
        # The live stream sends the XL account its site going down, and nothing else new.
        rows: dict[str, list[Any]] = {}
        deadline = time.monotonic() + 10
        while rows.get(DOWN, [None] * 4)[3] != "down" and time.monotonic() < deadline:
            for row in stream.next("sites", timeout=5)["rows"]:
                rows[row[0]] = row
        assert rows[DOWN][3:5] == ["down", None] and rows[DOWN][6] == ["NO_SERVICE"]
        assert FOREIGN not in rows
        assert all(e != "sites" or FOREIGN not in {r[0] for r in d["rows"]}
                   for e, d in stream.drain())  # fmt: skip
    finally:
        stream.close()

    detail = site.store.sites([DOWN])[0]
    assert detail.signal is not None and detail.signal.mcc is None  # the premise
    listed, mapped = _codes(xl)
    assert {DOWN, QUIET} <= listed and {DOWN, QUIET} <= mapped
    assert FOREIGN not in listed | mapped
    assert not (listed | mapped) & set(site.seeded.codes(TELKOMSEL))
    assert listed == set(site.seeded.codes(XL)) | {DOWN, QUIET}
    page = xl.get(f"/api/v1/sites/{DOWN}")
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["status"] == "down" and body["operator"] is None
    assert [t["problem"] for t in body["tickets"]] == ["NO_SERVICE"]
    assert (
        xl.get(f"/api/v1/sites/{DOWN}/measurements", params={"kind": "signal"}).status_code == 200
    )
    down = xl.get("/api/v1/sites", params={"status": "down"}).json()["sites"]
    assert DOWN in {s["code"] for s in down}
    assert DOWN in {
        s["code"] for s in xl.get("/api/v1/sites", params={"operator": "xl"}).json()["sites"]
    }
    geo = xl.get("/api/v1/coverage").json()
    assert {DOWN, QUIET} <= {f["properties"]["site_code"] for f in geo["features"]}
    text = xl.get("/api/v1/coverage", params={"format": "csv"}).text
    assert DOWN in {row["site_code"] for row in csv.DictReader(io.StringIO(text))}
    counts = {p["code"]: p["counts"] for p in xl.get("/api/v1/provinces").json()}
    assert counts["31"]["down"] == 1
    # A live stream of the site itself opens (not "not visible").
    watch = SseReader(xl, {"site": DOWN})
    watch.next("hello")
    watch.close()

    # Another network's account sees neither XL site, but still its own searching one.
    assert tsel.get(f"/api/v1/sites/{DOWN}").status_code == 404
    assert tsel.get("/api/v1/events", params={"site": DOWN}).status_code == 404
    listed, mapped = _codes(tsel)
    assert not {DOWN, QUIET} & (listed | mapped) and FOREIGN in listed & mapped
    assert xl.get(f"/api/v1/sites/{FOREIGN}").status_code == 404
