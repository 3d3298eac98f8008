"""The site's detail shows "data down, kit alive" while its newest news came by SMS."""

from __future__ import annotations

import json
import time
from typing import Any

from conftest import WebSite

from collector.web.seed import signal_record

CODE = "3171011001099"


def test_site_detail_shows_the_lifeline_until_data_returns(web_site: WebSite) -> None:
    token = web_site.enroll(CODE, "kit-sms")
    now = time.time_ns()
    web_site.ingest(
        CODE,
        [signal_record(1, now, mcc="510", mnc="10", name="T", rsrp=-90, cell_id=1)],
        token=token,
    )
    api = web_site.user("admin")
    assert api.get(f"/api/v1/sites/{CODE}").json()["lifeline"] is None

    status = {
        "registration": 1,
        "signal_dbm": -97,
        "operator": "51010",
        "backlog": 40,
        "down_s": 600,
    }
    assert web_site.store.accept_sms("kit-sms", CODE, 1, time.time_ns(), json.dumps(status))
    lifeline = api.get(f"/api/v1/sites/{CODE}").json()["lifeline"]
    assert lifeline["state"] == "data-down-kit-alive"
    assert lifeline["label"] == {"en": "data down, kit alive", "id": "data terputus, kit hidup"}
    assert (lifeline["agent_id"], lifeline["counter"], lifeline["backlog"]) == ("kit-sms", 1, 40)
    assert lifeline["error"] is None and lifeline["last_sms"].endswith("Z")

    later = time.time_ns()
    web_site.ingest(
        CODE,
        [signal_record(2, later, mcc="510", mnc="10", name="T", rsrp=-91, cell_id=1)],
        token=token,
    )
    assert api.get(f"/api/v1/sites/{CODE}").json()["lifeline"] is None


def test_a_site_heard_by_sms_shows_the_sms_status_everywhere(web_site: WebSite) -> None:
    """Map, site list (and its status filter), provinces and the live stream show
    "sms" (data down, kit alive), not "silent", until ``sms_alive_s`` has passed."""
    token = web_site.enroll(CODE, "kit-sms")
    now = time.time_ns()
    web_site.ingest(
        CODE,
        [signal_record(1, now, mcc="510", mnc="10", name="T", rsrp=-90, cell_id=1)],
        token=token,
    )
    api = web_site.user("viewer")
    web_site.clock.advance(900)  # data stopped a quarter of an hour ago: silent
    web_site.call(web_site.web.hub.tick(full=True))
    assert _map_row(api)["status"] == "silent"

    assert web_site.store.accept_sms("kit-sms", CODE, 1, web_site.clock(), "{}")
    web_site.notify([CODE])  # as the SMS intake does
    row = _map_row(api)
    assert (row["status"], row["since"] is not None) == ("sms", True)
    listed = api.get("/api/v1/sites", params={"status": "sms"}).json()["sites"]
    assert [s["code"] for s in listed] == [CODE] and listed[0]["status"] == "sms"
    counts = {p["code"]: p["counts"] for p in api.get("/api/v1/provinces").json()}
    assert counts["31"]["sms"] == 1
    assert api.get(f"/api/v1/sites/{CODE}").json()["status"] == "sms"

    web_site.clock.advance(3900 + 1)  # the rules' sms_alive_s, with no SMS since
    web_site.call(web_site.web.hub.tick(full=True))
    assert _map_row(web_site.user("viewer"))["status"] == "silent"  # a new session


def _map_row(api: Any) -> dict[str, Any]:
    body = api.get("/api/v1/map").json()
    rows = [dict(zip(body["columns"], r, strict=True)) for r in body["rows"]]
    (row,) = [r for r in rows if r["code"] == CODE]
    return row
