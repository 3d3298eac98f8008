"""Route formats: every body matches its golden file and validates against the
published format's schema (tests/data/schemas/), for every action, from both payload
shapes (an incident, and a site ticket as the ticket store writes it).

Run with ``PANTAU_UPDATE_GOLDEN=1`` to rewrite the golden files after a deliberate
change, then read the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from collector.notify import Dispatcher, Route
from collector.notify_formats import (
    ACTIONS,
    FORMATS,
    Alert,
    PayloadError,
    Target,
    alert_from_row,
    dumps,
)
from collector.notify_formats.alertmanager import fingerprint, labels
from collector.store.model import Notification

DATA = Path(__file__).resolve().parent.parent / "data"
GOLDEN = DATA / "golden" / "notify"
SCHEMAS = DATA / "schemas"
T0 = 1_780_000_000 * 10**9  # 2026-05-28T20:26:40Z
MINUTE = 60 * 10**9

CELL_INCIDENT = {
    "incident": {
        "id": 42,
        "key": "cell/510-01/no_service/51001-12825858",
        "kind": "cell",
        "operator": "510-01",
        "family": "no_service",
        "problem": "NO_SERVICE",
        "scope": {"cell": "51001-12825858", "kabupaten": "3171", "province": "31"},
        "title": "Indosat cell 51001-12825858 down: 14 TPS",
        "title_id": "Sel Indosat 51001-12825858 mati: 14 TPS",
        "state": "open",
        "opened_ns": T0,
        "updated_ns": T0 + 5 * MINUTE,
        "resolved_ns": None,
        "affected": 14,
        "sites": [f"31710110010{i:02d}" for i in range(1, 15)],
        "others_fine": {"count": 9, "operators": ["510-10", "510-11"]},
        "silenced_by": None,
        "route": "510-01",
    },
    "summary": "Indosat cell 51001-12825858 down: 14 TPS; Telkomsel and XL fine at 9",
}
AREA_INCIDENT = {
    "incident": {
        "id": 7,
        "key": "area/510-10/degraded/3273",
        "kind": "area",
        "operator": "510-10",
        "family": "degraded",
        "problem": "SLOW_UPLINK",
        "scope": {"kabupaten": "3273", "province": "32"},
        "title": "Telkomsel degraded in Kota Bandung: 120 TPS",
        "title_id": "Telkomsel menurun di Kota Bandung: 120 TPS",
        "state": "resolved",
        "opened_ns": T0,
        "updated_ns": T0 + 30 * MINUTE,
        "resolved_ns": T0 + 31 * MINUTE,
        "affected": 0,
        "sites": [],
        "others_fine": {"count": 0, "operators": []},
        "silenced_by": "maintenance-17",
        "route": "telkomsel",
    },
    "summary": "Telkomsel degraded in Kota Bandung: recovered",
}
TICKET = {
    "action": "trigger",
    "ticket_id": 5,
    "site_code": "3171011001005",
    "operator": "510-10",
    "problem": "WEAK_SIGNAL",
    "state": "open",
    "first_bad_ns": T0 - MINUTE,
    "last_bad_ns": T0,
    "opened_ns": T0,
    "resolved_ns": None,
    "resolved_by": None,
    "reopen_count": 0,
    "evidence": {"rsrp_dbm_median": -115.0},
}
SHAPES: dict[str, tuple[str, dict[str, Any]]] = {
    "cell": ("pantau-incident-42", CELL_INCIDENT),
    "area": ("pantau-incident-7", AREA_INCIDENT),
    "ticket": ("pantau-5", TICKET),
}
TARGET = Target("noc", routing_key="R0UT1NGKEY0123456789012345678901")


def _alert(shape: str, action: str, notification_id: int = 3) -> Alert:
    dedup_key, payload = SHAPES[shape]
    return alert_from_row(
        dedup_key=dedup_key,
        action=action,
        notification_id=notification_id,
        created_ns=T0 + 40 * MINUTE,
        route="noc",
        payload=json.dumps(payload, sort_keys=True, allow_nan=False),
    )


def _strict(body: bytes) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in a body")

    return json.loads(body, parse_constant=refuse)


@pytest.fixture(scope="module")
def validators() -> dict[str, Draft202012Validator]:
    def load(name: str) -> dict[str, Any]:
        schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        return schema

    tmf = load("tmf642-alarm-v4.json")
    out = {
        "pantau": load("pantau-webhook.json"),
        "pagerduty": load("pagerduty-events-v2.json"),
        "alertmanager": load("alertmanager-webhook-v4.json"),
    }
    for path, name in {
        "/alarm": "AlarmCreate",
        "/ackAlarms": "AckAlarmsCreate",
        "/clearAlarms": "ClearAlarmsCreate",
        "/commentAlarms": "CommentAlarmsCreate",
    }.items():
        out[f"tmf642{path}"] = {**tmf, "$ref": f"#/$defs/{name}"}
    return {
        key: Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        for key, schema in out.items()
    }


def test_every_format_is_covered_by_a_schema(validators: dict[str, Any]) -> None:
    assert {key.split("/")[0] for key in validators} == set(FORMATS)


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("name", sorted(FORMATS))
def test_bodies_match_golden_files_and_the_published_schema(
    name: str, action: str, shape: str, validators: dict[str, Draft202012Validator]
) -> None:
    request = FORMATS[name].render(_alert(shape, action), TARGET)
    body = dumps(request.document)
    document = _strict(body)
    key = name + (request.path if name == "tmf642" else "")
    errors = [
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in validators[key].iter_errors(document)
    ]
    assert errors == [], f"{name} {action} {shape}"
    rendered = {"method": request.method, "path": request.path, "body": document}
    golden = GOLDEN / name / f"{shape}-{action}.json"
    text = json.dumps(rendered, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("PANTAU_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden} (PANTAU_UPDATE_GOLDEN=1 writes it)"
    assert text == golden.read_text(encoding="utf-8")


def test_the_pantau_format_is_the_body_routes_got_before_formats() -> None:
    row = Notification(
        id=9, ticket_id=5, dedup_key="pantau-5", action="trigger", route="noc",
        payload=json.dumps(TICKET, sort_keys=True, allow_nan=False), created_ns=T0,
        attempts=1, next_attempt_ns=T0, delivered_ns=None, last_error=None,
        claimed_by="w", claim_until_ns=T0 + MINUTE,
    )  # fmt: skip
    url, method, body, headers = Dispatcher.render(row, Route("noc", "http://noc.example/hook"))
    before = {"dedup_key": "pantau-5", "event_action": "trigger", "notification_id": 9, **TICKET}
    expected = json.dumps(before, sort_keys=True, separators=(",", ":"), allow_nan=False)
    assert (url, method, body) == ("http://noc.example/hook", "POST", expected.encode())
    assert headers["Idempotency-Key"] == "pantau-5:trigger:9"


def test_tmf642_requests_go_to_the_resource_under_the_routes_base_url() -> None:
    row = Notification(
        id=9, ticket_id=5, dedup_key="pantau-5", action="resolve", route="oss",
        payload=json.dumps(TICKET), created_ns=T0, attempts=1, next_attempt_ns=T0,
        delivered_ns=None, last_error=None, claimed_by="w", claim_until_ns=None,
    )  # fmt: skip
    route = Route("oss", "https://oss.example/tmf-api/alarmManagement/v4/", format="tmf642")
    url, method, _, _ = Dispatcher.render(row, route)
    assert (method, url) == ("POST", "https://oss.example/tmf-api/alarmManagement/v4/clearAlarms")


def test_pagerduty_sees_one_alert_per_incident_and_a_summary_it_accepts() -> None:
    render = FORMATS["pagerduty"].render
    sent = {a: render(_alert("cell", a), TARGET).document for a in ACTIONS}
    assert {d["dedup_key"] for d in sent.values()} == {"pantau-incident-42"}
    assert {a: d["event_action"] for a, d in sent.items()} == {
        "trigger": "trigger", "update": "trigger", "escalate": "trigger",
        "acknowledge": "acknowledge", "resolve": "resolve",
    }  # fmt: skip
    assert sent["escalate"]["payload"]["severity"] == "critical"
    assert sent["trigger"]["payload"]["severity"] == "error"
    assert sent["trigger"]["routing_key"] == TARGET.routing_key
    long = alert_from_row(
        dedup_key="k", action="trigger", notification_id=1, created_ns=T0, route="r",
        payload=json.dumps({"incident": {**CELL_INCIDENT["incident"]}, "summary": "x" * 5000}),
    )  # fmt: skip
    summary = render(long, TARGET).document["payload"]["summary"]
    assert len(summary) == 1024 and summary.endswith("...")


def test_alertmanager_keeps_one_alert_identity_for_the_incidents_life() -> None:
    render = FORMATS["alertmanager"].render
    bodies = [render(_alert("cell", a), TARGET).document for a in ACTIONS]
    assert len({b["alerts"][0]["fingerprint"] for b in bodies}) == 1
    assert len({b["groupKey"] for b in bodies}) == 1
    assert [b["status"] for b in bodies] == ["firing"] * 4 + ["resolved"]
    label_set = labels(_alert("cell", "trigger"))
    assert fingerprint(label_set) == bodies[0]["alerts"][0]["fingerprint"]
    assert label_set["cell"] == "51001-12825858" and "severity" not in label_set


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("not json", r"payload: not JSON"),
        ("[1, 2]", r"payload: expected a JSON object, got list"),
        ('{"x": NaN}', r"payload: NaN is not JSON"),
        ('{"incident": {"id": 1, "kind": "tower", "title": "t", "opened_ns": 1}}',
         r"incident.kind: expected one of cell, area, field, site, got 'tower'"),
        ('{"incident": {"id": "1", "kind": "cell", "title": "t", "opened_ns": 1}}',
         r"incident.id: expected an integer, got '1'"),
        ('{"incident": {"id": 1, "kind": "cell", "opened_ns": 1}}', r"incident.title: required"),
        ('{"ticket_id": 1, "site_code": 3171}', r"ticket site_code: expected str, got 3171"),
    ],
)  # fmt: skip
def test_a_payload_no_format_can_read_is_a_clear_error(payload: str, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        alert_from_row(
            dedup_key="k", action="trigger", notification_id=1, created_ns=T0, route="r",
            payload=payload,
        )  # fmt: skip
    with pytest.raises(PayloadError, match=r"action: expected one of trigger, "):
        alert_from_row(
            dedup_key="k", action="page", notification_id=1, created_ns=T0, route="r",
            payload="{}",
        )  # fmt: skip
