"""The shared storage suite, identities (collector.store.identity): both backends."""

from __future__ import annotations

import threading
from dataclasses import replace

from storebackends import Backend
from storekit import MINUTE, SITE, T0, batch

from collector.store.base import Store


def test_two_replicas_redeeming_one_code_enroll_once(backend: Backend) -> None:
    replicas = [backend.open(), backend.open()]
    results: list[tuple[str, str] | None] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)
    try:
        replicas[0].add_enrollment_code("code-a", SITE, "kit-a", expires_ns=T0 + MINUTE)

        def redeem(store: Store, n: int) -> None:
            try:
                barrier.wait(timeout=20)
                results.append(store.redeem_enrollment_code("code-a", f"s{n}", f"pi-{n}", T0))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=redeem, args=(replicas[n % 2], n)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == [] and len(results) == 4
        assert sorted(results, key=lambda r: r is None) == [("kit-a", SITE), None, None, None]
        agent = replicas[1].get_agent("kit-a")
        assert agent is not None and agent.secret_hash in {"s0", "s1", "s2", "s3"}
    finally:
        for s in replicas:
            s.close()


def test_reenrolling_by_hand_keeps_the_hostname_and_the_site_once(
    backend: Backend, store: Store
) -> None:
    store.add_enrollment_code("code-a", SITE, "kit-a", expires_ns=T0 + MINUTE)
    assert store.redeem_enrollment_code("code-a", "s1", "pi-lobby", T0) == ("kit-a", SITE)
    store.add_agent("kit-a", SITE, "s2")
    raw = backend.raw()
    try:
        rows = raw.execute(
            "SELECT hostname, secret_hash FROM agents WHERE agent_id = ?", ("kit-a",)
        )
        assert [tuple(r) for r in rows] == [("pi-lobby", "s2")]
        assert raw.execute("SELECT COUNT(*) FROM sites")[0][0] == 1
    finally:
        raw.close()


def test_an_anchor_in_a_commit_replaces_a_saved_one(store: Store) -> None:
    store.add_agent("kit-1", SITE, "h")
    store.save_anchor("kit-1", "boot-a", 100, 1_000)
    store.commit([replace(batch("kit-1", 1), anchor=("boot-a", 200, 2_000))])
    store.commit([replace(batch("kit-1", 2), anchor=("boot-b", 5, 3_000))])
    assert store.anchors("kit-1") == {"boot-a": (200, 2_000), "boot-b": (5, 3_000)}
