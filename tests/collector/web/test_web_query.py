"""The site/coverage query service (collector/query.py) on both stores: it reads many
sites with a fixed number of store queries, and answers as reading one site at a time
would; the API's bad parameters and bodies are 400s that name the culprit; the OpenAPI
document generated from the models is plain OpenAPI 3.0."""

from __future__ import annotations

import ast
import collections
import json
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import WebSite

from collector.query import COVERAGE_READINGS, OPEN_STATES, SiteFilter, SiteQueries, status_of
from collector.store import Store
from collector.store.model import SiteView
from collector.web import routes
from collector.web.app import openapi_document
from collector.web.seed import ping_record, signal_record

_S = 1_000_000_000


class CountingStore:
    """A store that counts the calls made to it, by method name."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.calls: collections.Counter[str] = collections.Counter()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if not callable(attr):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return attr(*args, **kwargs)

        return counted


def _queries(site: WebSite) -> tuple[SiteQueries, CountingStore]:
    store = CountingStore(site.store)
    return SiteQueries(store, clock=time.time_ns), store  # type: ignore[arg-type]


def test_rows_read_every_site_in_four_queries(any_web_site: WebSite) -> None:
    site = any_web_site
    queries, store = _queries(site)
    codes = site.seeded.codes()
    rows = queries.rows(codes)
    assert sorted(rows) == sorted(codes)
    four = {"sites": 1, "tickets_of_sites": 1, "networks_of_sites": 1, "sms_heard": 1}
    assert store.calls == four
    store.calls.clear()
    assert queries.rows() == rows  # all sites: the same four queries
    assert store.calls == four
    # The same problems as asking each site's tickets on its own.
    for code, row in rows.items():
        one_by_one = site.store.list_tickets(site_code=code, states=OPEN_STATES, limit=100)
        assert row.problems == tuple(sorted({t.problem for t in one_by_one}))
    assert any(row.problems for row in rows.values())


def test_listing_filters_and_scopes(any_web_site: WebSite) -> None:
    site = any_web_site
    queries, _ = _queries(site)
    everything = queries.listing(SiteFilter())
    assert [r.code for r in everything] == sorted(site.seeded.codes())
    down = queries.listing(SiteFilter(status="down"))
    assert down and all(r.status == "down" for r in down)
    operator = everything[0].operator
    mine = queries.listing(SiteFilter(), sees=lambda row: operator in row.networks)
    assert mine and {r.operator for r in mine} == {operator}


def test_newest_records_of_sites_match_each_sites_window(any_web_site: WebSite) -> None:
    site = any_web_site
    now = time.time_ns()
    code = "3171011001777"
    site.ingest(
        code,
        [signal_record(i, now - (10 - i) * _S, mcc="510", mnc="10", name="T", rsrp=-80 - i,
                       cell_id=1)
         for i in range(1, 6)]
        + [ping_record(10 + i, now - (10 - i) * _S, rtts=[10.0 + i]) for i in range(1, 4)],
    )  # fmt: skip
    codes = [*site.seeded.codes(), code, "3171011009999"]
    since = now - 7 * _S
    batched = site.store.newest_records_of_sites(codes, since, ("signal", "ping"), 2)
    assert set(batched) == set(codes) and batched["3171011009999"] == []
    for c in codes:
        window = site.store.site_window(c, since)
        expected = []
        for kind in ("signal", "ping"):
            expected += [r for r in window if r.kind == kind][-2:]
        expected.sort(key=lambda r: (r.event_ns, r.agent_id, r.seq))
        assert batched[c] == expected
    assert [r.seq for r in batched[code]] == [13, 4, 5]


def test_coverage_reads_the_records_of_all_sites_at_once(any_web_site: WebSite) -> None:
    site = any_web_site
    queries, store = _queries(site)
    rows = queries.listing(SiteFilter())
    store.calls.clear()
    entries = queries.coverage(rows, hours=24)
    # The store's rollups began after the window did (it was made now): the records.
    assert store.calls == {"rollups_since": 1, "newest_records_of_sites": 1}
    assert [e.site_code for e in entries] == [r.code for r in rows]
    assert any(e.samples > 0 for e in entries)
    for entry in entries:
        assert 0 <= entry.samples <= COVERAGE_READINGS
        assert (entry.grade == "unknown") == (entry.samples == 0)


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/api/v1/sites", {"status": "bogus"}, "status"),
        ("/api/v1/sites", {"colour": "red"}, "colour"),
        ("/api/v1/sites", {"province": "xx"}, "province"),
        ("/api/v1/tickets", {"limit": "ten"}, "limit"),
        ("/api/v1/tickets", {"site": "123"}, "site code"),
        ("/api/v1/sites/3101011001001/measurements", {"hours": "0"}, "hours"),
        ("/api/v1/tickets/0", {}, "ticket id"),
    ],
)
def test_a_bad_parameter_is_named_in_the_400(
    web_site: WebSite, path: str, params: dict[str, str], named: str
) -> None:
    r = web_site.user("viewer").get(path, params=params)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "bad_request" and named in r.json()["message"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"note": 5}, "note"),
        ({"note": "x" * 2001}, "note"),
        ({"nope": "x"}, "nope"),
        ({"note": "a\x00b"}, "NUL"),
    ],
)
def test_a_bad_body_is_named_in_the_400(web_site: WebSite, body: Any, named: str) -> None:
    ticket = web_site.seeded.tickets[0]
    r = web_site.user("operator").post(f"/api/v1/tickets/{ticket.id}/ack", json=body)
    assert r.status_code == 400, r.text
    assert named in r.json()["message"]


def test_who_may_call_is_checked_before_what_is_asked(web_site: WebSite) -> None:
    """A stranger's bad request is a 401, a viewer's bad ack a 403: no validation
    message reaches anyone who may not use the route."""
    stranger = web_site.client()
    r = stranger.get("/api/v1/sites", params={"status": "bogus"})
    assert r.status_code == 401 and r.json()["error"] == "unauthorized", r.text
    ticket = web_site.seeded.tickets[0]
    r = stranger.post(f"/api/v1/tickets/{ticket.id}/ack", json={"nope": 1})
    assert r.status_code == 401, r.text
    viewer = web_site.user("viewer")
    r = viewer.post(f"/api/v1/tickets/{ticket.id}/ack", json={"nope": 1})
    assert (r.status_code, r.json()["error"]) == (403, "forbidden"), r.text
    operator = web_site.user("operator")
    csrf, operator.csrf = operator.csrf, "wrong"
    r = operator.post(f"/api/v1/tickets/{ticket.id}/ack", json={"nope": 1})
    assert (r.status_code, r.json()["error"]) == (403, "csrf"), r.text
    operator.csrf = csrf
    r = operator.post(f"/api/v1/tickets/{ticket.id}/ack", json={"nope": 1})
    assert r.status_code == 400 and "nope" in r.json()["message"], r.text


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_the_generated_document_is_openapi_3_0() -> None:
    doc = openapi_document()
    schemas = doc["components"]["schemas"]
    refs = {n["$ref"] for n in _walk(doc) if "$ref" in n}
    assert refs == {f"#/components/schemas/{name}" for name in schemas}  # all used, all exist
    for node in _walk(doc):
        assert "const" not in node and "$defs" not in node and "prefixItems" not in node
        assert {"type": "null"} not in node.get("anyOf", [])
    for name in ("SiteSummary", "Ticket", "Account", "Error", "CoverageEntry"):
        schema = schemas[name]
        assert schema["additionalProperties"] is False
        assert schema["required"] == list(schema["properties"])
    assert schemas["SiteSummary"]["properties"]["lat"] == {"type": "number", "nullable": True}
    assert schemas["SiteDetail"]["properties"]["cell"] == {
        "nullable": True,
        "allOf": [{"$ref": "#/components/schemas/Cell"}],
    }
    assert json.loads(json.dumps(doc)) == doc


def test_no_http_handler_decodes_protobuf_or_writes_sql() -> None:
    """Decoding stored records and batching reads belong to the query service: the
    routes modules import neither protobuf nor the decoding helpers nor a database."""
    banned = ("pantau.v1", "google.protobuf", "collector.measurements", "sqlite3", "psycopg")
    for path in Path(routes.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                assert not name.startswith(banned), f"{path.name} imports {name}"


def test_get_routes_answer_head_too(web_site: WebSite) -> None:
    api = web_site.user("viewer")
    assert api.head("/api/v1/sites").status_code == 200
    assert api.head("/healthz").status_code == 200
    assert api.head("/api/v1/login").status_code == 405


_S = 1_000_000_000
_NOW = 10_000 * _S


@pytest.mark.parametrize(
    ("problems", "last_seen_s", "last_sms_s", "status"),
    [
        ((), 9_900, None, "ok"),
        ((), 9_000, None, "silent"),  # 1,000 s unheard (silent after 300 s)
        ((), 9_000, 9_500, "sms"),  # data down, kit alive
        (("AGENT_SILENT",), 5_000, 9_500, "sms"),  # the SMS is newer than the silence
        ((), 9_000, 5_000, "silent"),  # that SMS is older than sms_alive_s (3,900 s)
        ((), 9_900, 9_000, "ok"),  # data came after the SMS
        (("NO_SERVICE",), 9_000, 9_500, "down"),  # down before everything
        (("HIGH_LATENCY",), 9_000, 9_500, "sms"),
        (("HIGH_LATENCY",), 9_900, None, "degraded"),
        ((), None, 9_500, "sms"),  # heard only by SMS
    ],
)
def test_status_of(
    problems: tuple[str, ...], last_seen_s: int | None, last_sms_s: int | None, status: str
) -> None:
    site = SiteView("3171011001005", ("kit",), None if last_seen_s is None else last_seen_s * _S,
                    None, None)  # fmt: skip
    got = status_of(
        site, problems, now_ns=_NOW, silent_after_ns=300 * _S,
        last_sms_ns=None if last_sms_s is None else last_sms_s * _S, sms_alive_ns=3900 * _S,
    )  # fmt: skip
    assert got == status
