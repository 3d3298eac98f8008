"""The site's detail shows "data down, kit alive" while its newest news came by SMS."""

from __future__ import annotations

import json
import time

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
