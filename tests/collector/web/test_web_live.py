"""The live stream: changed rows only, within a second or two of an ingest; scoping;
readings of one site; heartbeats; slow subscribers resync with bounded memory."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
from collections.abc import Sequence
from typing import Any

import requests
from conftest import TELKOMSEL, XL, Api, WebSite

from collector.query import SiteRow
from collector.store.model import SiteView
from collector.web.live import LiveHub
from collector.web.seed import ping_record, signal_record

_S = 10**9


class SseReader:
    """Reads one event stream in a thread; ``next(kind)`` waits for an event of a kind."""

    def __init__(self, api: Api, params: dict[str, str] | None = None) -> None:
        self.response = api.get("/api/v1/events", params=params or {}, stream=True)
        assert self.response.status_code == 200, self.response.text
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        event, data = "", []
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line.startswith(":"):
                    self.events.put(("comment", line))
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif line == "" and event:
                    self.events.put((event, json.loads("".join(data))))
                    event, data = "", []
        except (requests.RequestException, OSError, ValueError, AttributeError):
            pass
        self.events.put(("closed", None))

    def next(self, kind: str, timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event, data = self.events.get(timeout=left)
            except queue.Empty:
                break
            if event == kind:
                return data
            assert event != "closed", f"the stream ended while waiting for {kind}"
        raise AssertionError(f"no {kind} event within {timeout} s")

    def drain(self) -> list[tuple[str, Any]]:
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        self.response.close()
        self._thread.join(timeout=5)


def test_an_ingest_sends_only_the_changed_row_within_two_seconds(any_web_site: WebSite) -> None:
    site = any_web_site
    token = site.enroll("3171011001005")  # a new kit, not heard yet
    everyone = SseReader(site.user("viewer"))
    xl_only = SseReader(site.user("viewer", "xl"))
    watcher = SseReader(site.user("viewer"), {"site": "3171011001005"})
    try:
        hello = everyone.next("hello")
        xl_only.next("hello")
        watcher.next("hello")
        version = hello["version"]
        started = time.monotonic()
        now = time.time_ns()
        site.ingest(
            "3171011001005",
            [
                signal_record(1, now - _S, mcc="510", mnc="10", name="T", rsrp=-88, cell_id=5),
                ping_record(2, now, rtts=[20.0, 21.0, None]),
            ],
            token=token,
        )
        message = everyone.next("sites", timeout=3)
        assert time.monotonic() - started < 2.5
        assert message["version"] > version
        assert [row[0] for row in message["rows"]] == ["3171011001005"]
        _code, lat, lon, status, operator, province, problems, networks, since, by_network = (
            message["rows"][0]
        )
        assert (status, operator, province, problems, since) == ("ok", TELKOMSEL, "31", [], None)
        assert by_network == {}  # one network: the site's status is its
        assert networks == [TELKOMSEL]
        assert -7 < lat < -5.5 and 106 < lon < 107.5  # inside DKI Jakarta

        kinds = {watcher.next("reading", timeout=3)["kind"] for _ in range(2)}
        assert kinds == {"signal", "ping"}

        # The XL-scoped stream hears nothing of a Telkomsel site ...
        site.ingest(
            "5171011001009",
            [signal_record(1, now, mcc="510", mnc="11", name="XL", rsrp=-99, cell_id=9)],
        )
        rows = xl_only.next("sites", timeout=3)["rows"]
        assert [r[0] for r in rows] == ["5171011001009"] and rows[0][4] == XL
        assert all(e != "sites" or all(r[4] == XL for r in d["rows"]) for e, d in xl_only.drain())
    finally:
        for reader in (everyone, xl_only, watcher):
            reader.close()


def test_ticket_changes_are_streamed_scoped(web_site: WebSite) -> None:
    telkomsel = web_site.user("operator", "telkomsel")
    xl = SseReader(web_site.user("viewer", "xl"))
    mine = SseReader(web_site.user("viewer", "telkomsel"))
    try:
        xl.next("hello")
        mine.next("hello")
        ticket = next(t for t in web_site.seeded.tickets if t.operator == TELKOMSEL)
        r = telkomsel.post(f"/api/v1/tickets/{ticket.id}/ack", json={"note": "seen"})
        assert r.status_code == 200
        changed = mine.next("tickets", timeout=3)["tickets"]
        assert [(t["id"], t["state"]) for t in changed] == [(ticket.id, "acknowledged")]
        # The same tick served the XL stream: anything sent to it precedes its next
        # heartbeat comment, and none of it is a ticket.
        seen = []
        while (event := xl.events.get(timeout=5))[0] != "comment":
            seen.append(event[0])
        assert "tickets" not in seen
    finally:
        xl.close()
        mine.close()


def test_incidents_acknowledged_or_escalated_are_streamed_scoped(web_site: WebSite) -> None:
    telkomsel = web_site.user("operator", "telkomsel")
    xl = SseReader(web_site.user("viewer", "xl"))
    mine = SseReader(web_site.user("viewer", "telkomsel"))
    try:
        xl.next("hello")
        mine.next("hello")
        ticket = next(t for t in web_site.seeded.tickets if t.operator == TELKOMSEL)
        incident = web_site.store.incident_of_ticket(ticket.id)
        r = telkomsel.post(f"/api/v1/incidents/{incident}/ack", json={"note": "seen"})
        assert r.status_code == 200
        assert mine.next("incidents", timeout=3) == {
            "incidents": [{"id": incident, "operator": TELKOMSEL}]
        }
        seen = []
        while (event := xl.events.get(timeout=5))[0] != "comment":
            seen.append(event[0])
        assert "incidents" not in seen
        again = telkomsel.post(f"/api/v1/incidents/{incident}/ack", json={})
        assert again.status_code == 200  # nothing changed: nothing streamed
        seen = []
        while (event := mine.events.get(timeout=5))[0] != "comment":
            seen.append(event[0])
        assert "incidents" not in seen
    finally:
        xl.close()
        mine.close()


def test_heartbeat_comments(web_site: WebSite) -> None:
    reader = SseReader(web_site.user("viewer"))
    try:
        reader.next("hello")
        assert reader.next("comment", timeout=3).startswith(":")
    finally:
        reader.close()


def test_stream_needs_a_session(web_site: WebSite) -> None:
    r = web_site.client().get("/api/v1/events")
    assert r.status_code == 401


# -- the hub alone ----------------------------------------------------------------------------


def _rows(n: int, status: str = "ok") -> dict[str, SiteRow]:
    ops = ("510-10", "510-01", "510-11")
    out = {}
    for i in range(n):
        code = f"31{i:011d}"
        view = SiteView(code, (), None, None, None)
        op = ops[i % 3]
        out[code] = SiteRow(view, op, status, (), -6.2, 106.8, "province", networks=(op,))
    return out


def test_ten_thousand_sites_many_subscribers_and_a_slow_one() -> None:
    async def main() -> None:
        state = {"rows": _rows(10_000)}

        async def load(codes: Sequence[str] | None) -> dict[str, SiteRow]:
            rows = state["rows"]
            return dict(rows) if codes is None else {c: rows[c] for c in codes if c in rows}

        hub = LiveHub(load, queue_size=8, interval_s=0.01, full_every_s=3600)
        await hub.start()
        try:
            subs = [
                hub.subscribe(scoped=i % 2 == 1, operator="510-11" if i % 2 else None, site=None)
                for i in range(500)
            ]
            for sub in subs:
                assert sub.queue.get_nowait().startswith(b"event: hello")
            changed = [f"31{i:011d}" for i in range(0, 10_000, 7)]
            state["rows"] = {
                **state["rows"],
                **{c: _with(state["rows"][c], "down") for c in changed},
            }
            started = time.perf_counter()
            hub.sites_changed(changed)
            await hub.tick()
            assert time.perf_counter() - started < 2.0
            everyone = json.loads(subs[0].queue.get_nowait().decode().split("data: ", 1)[1])
            assert len(everyone["rows"]) == len(changed)
            xl = json.loads(subs[1].queue.get_nowait().decode().split("data: ", 1)[1])
            assert {r[4] for r in xl["rows"]} == {"510-11"}
            assert 0 < len(xl["rows"]) < len(changed)
            # Unchanged rows are not sent again.
            hub.sites_changed(changed)
            await hub.tick()
            assert subs[0].queue.empty()

            # A subscriber that never reads: its queue stays bounded, then says resync.
            slow = subs[2]
            for round_ in range(50):
                status = "ok" if round_ % 2 else "silent"
                state["rows"] = {
                    **state["rows"],
                    changed[0]: _with(state["rows"][changed[0]], status),
                }
                hub.sites_changed([changed[0]])
                await hub.tick()
                assert slow.queue.qsize() <= 8
            assert slow.resyncs >= 1
            messages = [slow.queue.get_nowait() for _ in range(slow.queue.qsize())]
            assert any(m.startswith(b"event: resync") for m in messages)
        finally:
            await hub.stop()

    asyncio.run(main())


def _with(row: SiteRow, status: str) -> SiteRow:
    return SiteRow(
        row.site, row.operator, status, row.problems, row.lat, row.lon, row.located, row.networks
    )


def test_a_ticket_the_brain_raises_is_streamed(tmp_path: Any) -> None:
    from dataclasses import replace
    from importlib import resources

    from conftest import fast_config

    from collector.config import RulesSection
    from collector.store.sqlite import SqliteStore

    rules = str(resources.files("collector").joinpath("demo_rules.toml"))
    config = replace(fast_config(), rules=RulesSection(file=rules))
    store = SqliteStore(tmp_path / "brain.sqlite")
    site = WebSite(store, config=config, seed=False)
    try:
        code = "3273011002012"
        token = site.enroll(code)
        reader = SseReader(site.user("viewer"))
        reader.next("hello")
        now = time.time_ns()
        # A first healthy reading (the brain learns the site), then a fading signal.
        healthy = signal_record(1, now - 30 * _S, mcc="510", mnc="01", name="Indosat",
                                rsrp=-85, cell_id=7)  # fmt: skip
        site.ingest(code, [healthy], token=token)
        weak = [
            signal_record(i + 2, now - (20 - 2 * i) * _S, mcc="510", mnc="01", name="Indosat",
                          rsrp=-121, cell_id=7)
            for i in range(11)
        ]  # fmt: skip
        site.ingest(code, weak, token=token)
        # The brain raises WEAK_SIGNAL: the ticket and the site's changed row stream out.
        problems: set[tuple[str, str, str]] = set()
        status = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (problems and status == "degraded"):
            try:
                event, data = reader.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if event == "tickets":
                problems |= {(t["site_code"], t["problem"], t["state"]) for t in data["tickets"]}
            elif event == "sites":
                for row in data["rows"]:
                    if row[0] == code:
                        status = row[3]
                        assert row[3] != "degraded" or "WEAK_SIGNAL" in row[6]
        assert (code, "WEAK_SIGNAL", "open") in problems
        assert status == "degraded"
        reader.close()
    finally:
        site.close()
        store.close()


def test_time_alone_changes_are_sent_by_the_periodic_reload() -> None:
    async def main() -> None:
        state = {"rows": _rows(3)}

        async def load(codes: Sequence[str] | None) -> dict[str, SiteRow]:
            rows = state["rows"]
            return dict(rows) if codes is None else {c: rows[c] for c in codes if c in rows}

        hub = LiveHub(load, interval_s=0.01, full_every_s=0.2)
        await hub.start()
        try:
            sub = hub.subscribe(scoped=False, operator=None, site=None)
            assert sub.queue.get_nowait().startswith(b"event: hello")
            code = next(iter(state["rows"]))
            # Nobody reports it: the site just falls silent as time passes.
            state["rows"] = {**state["rows"], code: _with(state["rows"][code], "silent")}
            message = await asyncio.wait_for(sub.queue.get(), 5)
            assert message is not None
            rows = json.loads(message.decode().split("data: ", 1)[1])["rows"]
            assert [(r[0], r[3]) for r in rows] == [(code, "silent")]
        finally:
            await hub.stop()

    asyncio.run(main())
