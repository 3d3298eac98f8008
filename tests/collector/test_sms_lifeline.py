"""The SMS lifeline at the collector: counters in both stores, and a real collector
taking SMS through its webhook (signed), refusing forgeries and replays, and hearing
the kit (no AGENT_SILENT) when one is authentic."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from storebackends import Backend

from collector import auth
from collector.config import CollectorConfig, SmsSection, default_config
from collector.lifeline import judge_sms
from collector.notify import sign
from collector.server import Collector
from collector.store.base import Store
from collector.store.model import Agent, SmsLogRow, Ticket
from collector.store.sqlite import SqliteStore
from pantau.core import lifeline
from pantau.core.lifeline import Status, Verdict

SITE = "3171011001005"
SECRET = b"collector-sms-secret-0123456789"
HOOK = "webhook-secret"
KEY = lifeline.kit_key(SECRET, "kit-1")
S = 1_000_000_000
T = TypeVar("T")


def test_counters_rise_only_and_the_log_keeps_everything(store: Store) -> None:
    assert store.sms_highest_counter("kit-1") is None
    assert store.accept_sms("kit-1", SITE, 5, 1000, '{"n": 5}')
    assert not store.accept_sms("kit-1", SITE, 5, 2000, '{"n": 5}')  # the same one again
    assert not store.accept_sms("kit-1", SITE, 4, 3000, '{"n": 4}')
    assert store.accept_sms("kit-1", SITE, 6, 4000, '{"n": 6}')
    assert store.sms_highest_counter("kit-1") == 6
    heard = store.sms_heard([SITE, "3171011001006"])
    assert list(heard) == [SITE]
    assert (heard[SITE].counter, heard[SITE].last_sms_ns, heard[SITE].status_json) == (
        6, 4000, '{"n": 6}',
    )  # fmt: skip
    row = SmsLogRow(4000, "+628120000001", "gateway", "kit-1", "forged", "MAC", "PNT1 x")
    store.log_sms(row)
    store.log_sms(dataclasses.replace(row, received_ns=5000, agent_id=None))
    assert [r.received_ns for r in store.sms_log()] == [5000, 4000]
    assert store.sms_log(1)[0].agent_id is None


def test_judge_refuses_revoked_and_unconfigured() -> None:
    text = lifeline.encode(Status("kit-1", 1), KEY)
    agent = Agent("kit-1", SITE, "hash", revoked=False, acked_through=0)
    assert judge_sms(text, agent, SECRET, None).verdict is Verdict.ACCEPTED
    revoked = judge_sms(text, dataclasses.replace(agent, revoked=True), SECRET, None)
    assert (revoked.verdict, revoked.reason) == (Verdict.UNKNOWN_KIT, "kit 'kit-1' is revoked")
    stranger = judge_sms(text, None, SECRET, None)
    assert stranger.reason == "kit 'kit-1' is not enrolled here"
    assert judge_sms(text, agent, None, None).reason == "this collector has no [sms] secret"


def _post(
    port: int, body: bytes, *, stamp: str | None = None, secret: str = HOOK
) -> tuple[int, Any]:
    stamp = stamp or str(int(time.time()))
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/sms",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Pantau-Timestamp": stamp,
            "X-Pantau-Signature": sign(secret, stamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _sms(text: str, sender: str = "+628120000001") -> bytes:
    return json.dumps({"from": sender, "text": text}).encode()


def _config() -> CollectorConfig:
    sms = SmsSection(secret=SECRET, webhook_secret=HOOK)
    return dataclasses.replace(default_config(), sms=sms)


def _run(tmp_path: Path, body: Callable[[Collector, int], Awaitable[T]]) -> T:
    async def main() -> T:
        store = SqliteStore(tmp_path / "collector.sqlite")
        store.add_agent("kit-1", SITE, auth.hash_secret(auth.new_credential("kit-1").secret))
        collector = Collector(store, config=_config())
        await collector.start("127.0.0.1:0")
        try:
            port = await collector.start_web("127.0.0.1:0")
            return await body(collector, port)
        finally:
            await collector.stop(0)
            store.close()

    return asyncio.run(main())


def test_webhook_accepts_once_and_refuses_forgeries(tmp_path: Path) -> None:
    good = lifeline.encode(Status("kit-1", 7, registration=1, backlog=12), KEY)
    forged = lifeline.encode(
        Status("kit-1", 8), lifeline.kit_key(b"another-secret-0123456", "kit-1")
    )

    async def body(collector: Collector, port: int) -> list[tuple[int, Any]]:
        answers = []
        for payload, kw in [
            (_sms(good), {}),
            (_sms(good), {}),  # replayed
            (_sms(forged), {}),
            (_sms("Paket nelpon murah!", "TSEL"), {}),
            (_sms(lifeline.encode(Status("kit-9", 1), KEY)), {}),
            (_sms(good), {"secret": "wrong"}),
            (_sms(good), {"stamp": str(int(time.time()) - 3600)}),
            (b'{"text": "x"}', {}),
        ]:
            answers.append(await asyncio.to_thread(_post, port, payload, **kw))
        window = collector.brain.engine.window(SITE)
        assert window is not None and len(window.heard) == 1  # the kit was heard, once
        return answers

    answers = _run(tmp_path, body)
    verdicts = [(status, doc.get("verdict") or doc.get("error")) for status, doc in answers]
    assert verdicts == [
        (200, "accepted"),
        (200, "replayed"),
        (200, "forged"),
        (200, "not-ours"),
        (200, "unknown-kit"),
        (401, "unauthorized"),
        (401, "unauthorized"),
        (400, "bad_request"),
    ]
    assert answers[0][1]["site"] == SITE
    assert "s off this collector's clock (at most 300 s)" in answers[6][1]["message"]
    store = SqliteStore(tmp_path / "collector.sqlite")
    try:
        log = store.sms_log()
        assert [r.verdict for r in reversed(log)] == [
            "accepted", "replayed", "forged", "not-ours", "unknown-kit",
        ]  # fmt: skip
        assert all(r.via == "webhook" for r in log)
        assert json.loads(store.sms_heard()[SITE].status_json)["backlog"] == 12
    finally:
        store.close()


def test_webhook_is_off_without_its_secret(tmp_path: Path) -> None:
    async def main() -> tuple[int, Any]:
        store = SqliteStore(tmp_path / "collector.sqlite")
        collector = Collector(store)
        await collector.start("127.0.0.1:0")
        try:
            port = await collector.start_web("127.0.0.1:0")
            return await asyncio.to_thread(_post, port, _sms("PNT1 id=a n=1"))
        finally:
            await collector.stop(0)
            store.close()

    status, doc = asyncio.run(main())
    assert (status, doc["error"]) == (404, "not_found")


def test_a_kit_heard_by_sms_counts_as_heard_after_a_restart(store: Store, backend: Backend) -> None:
    """The brain's survey after a restart starts a site's silence from its newest SMS."""
    store.add_agent("kit-1", SITE, "hash")
    raw = backend.raw()
    try:
        raw.execute("INSERT INTO site_state (site_code, last_seen_ns) VALUES (?, ?)", (SITE, 1_000))
        raw.commit()
    finally:
        raw.close()
    assert store.last_heard_of_active_sites() == {SITE: 1_000}
    store.accept_sms("kit-1", SITE, 1, 5_000, "{}")
    assert store.last_heard_of_active_sites() == {SITE: 5_000}


def test_a_site_last_heard_by_sms_stays_alive_across_a_collector_restart(tmp_path: Path) -> None:
    """A real restart (the store kept, a new collector): the kit's newest news was an
    authentic SMS, so the restarted brain waits ``sms_alive_s`` from it, not the
    ordinary silence (5 x 60 s), before AGENT_SILENT; after that it is silent."""
    from collector.store.model import IngestBatch

    sms_at = time.time_ns()
    store = SqliteStore(tmp_path / "collector.sqlite")
    store.commit([IngestBatch("kit-1", SITE, [], sms_at - 600 * S)])  # data, then none
    store.close()
    text = lifeline.encode(Status("kit-1", 1, registration=1), KEY)

    async def before(collector: Collector, port: int) -> tuple[int, Any]:
        return await asyncio.to_thread(_post, port, _sms(text))

    assert _run(tmp_path, before)[1]["verdict"] == "accepted"

    async def main() -> tuple[list[Ticket], list[Ticket]]:
        store = SqliteStore(tmp_path / "collector.sqlite")
        now = [sms_at + 10 * S]
        collector = Collector(store, config=_config())
        collector.brain.clock = lambda: now[0]  # time is driven from here on
        collector.brain.tick_s = 3600.0  # the test drives each pass
        await collector.start("127.0.0.1:0")
        try:
            # The brain's loop began (resuming at the start) before this first pass.
            await collector.brain.survey()
            await collector.brain.evaluate_all()
            now[0] = sms_at + 1800 * S  # far past the ordinary silence, within sms_alive_s
            await collector.brain.evaluate_all()
            within = store.list_tickets(site_code=SITE, problem="AGENT_SILENT")
            now[0] = sms_at + 4200 * S  # sms_alive_s (3900 s) and 4 x 60 s with no news
            await collector.brain.evaluate_all()
            after = store.list_tickets(site_code=SITE, problem="AGENT_SILENT")
            return within, after
        finally:
            await collector.stop(0)
            store.close()

    within, after = asyncio.run(main())
    assert within == []
    (ticket,) = after
    assert ticket.state == "open" and ticket.evidence["last_bad"]["last_heard_ns"] > sms_at
