"""Login throttling over HTTP: per client and per user name, growing delays (no hard
lock), and a bound on the password checks running at once (docs/operations.md)."""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import Api, WebSite, fast_config
from requests.adapters import HTTPAdapter

from collector.web.accounts import verify_password
from collector.web.throttle import CHECK_NICENESS, check_cpus

WRONG = "wrong-password"


class _FromAddress(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_from(site: WebSite, address: str) -> Api:
    """A client whose connections come from another loopback address (another client)."""
    api = site.client()
    api.mount("http://", _FromAddress(address))
    return api


def login(api: Api, name: str, password: str = WRONG) -> requests.Response:
    return api.post("/api/v1/login", json={"username": name, "password": password})


def test_one_client_trying_many_names_is_delayed_not_locked(web_site: WebSite) -> None:
    site = web_site
    api = client_from(site, "127.0.0.21")
    for i in range(10):  # login_client_failures
        assert login(api, f"name-{i}").status_code == 401
    r = login(api, "name-10")
    assert r.status_code == 429, r.text
    assert r.json()["error"] == "too_many_attempts" and r.headers["Retry-After"] == "1"
    # Another client is not affected, nor are those names (one failure each).
    other = client_from(site, "127.0.0.22")
    assert login(other, "name-10").status_code == 401
    # The delay passes; the next failure doubles it.
    site.clock.advance(1)
    assert login(api, "name-10").status_code == 401
    r = login(api, "name-11")
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"


def test_the_real_user_is_delayed_at_most_the_names_cap_by_an_attack_on_its_name(
    web_site: WebSite,
) -> None:
    site = web_site
    password = site.add_user("citra", "viewer")
    attacker = client_from(site, "127.0.0.31")
    failures = refused = 0
    while failures < 20:  # as fast as the throttle lets it
        r = login(attacker, "citra")
        if r.status_code == 429:
            refused += 1
            site.clock.advance(int(r.headers["Retry-After"]))
        else:
            assert r.status_code == 401
            failures += 1
    assert refused > 0
    r = login(attacker, "citra", password)  # even the right password: wait
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 60
    user = client_from(site, "127.0.0.32")
    r = login(user, "citra", password)
    if r.status_code == 429:
        assert int(r.headers["Retry-After"]) <= site.config.web.login_max_delay_s
        site.clock.advance(int(r.headers["Retry-After"]))
        r = login(user, "citra", password)
    assert r.status_code == 200, r.text


@pytest.fixture
def gated_site(tmp_path: Path) -> Iterator[WebSite]:
    from collector.store.sqlite import SqliteStore

    base = fast_config()
    web = dataclasses.replace(base.web, login_concurrency=2, login_queue=3, login_hold_s=1.0)
    config = dataclasses.replace(base, web=web)
    store = SqliteStore(tmp_path / "collector.sqlite")
    site = WebSite(store, config=config)
    try:
        yield site
    finally:
        site.close()
        store.close()


def test_password_checks_are_bounded_and_logged_in_users_stay_served(
    gated_site: WebSite,
) -> None:
    site = gated_site
    viewer = site.user("viewer")
    gate = site.web.passwords
    release = threading.Event()
    lock = threading.Lock()
    running = [0]
    most = [0]
    niceness: set[int] = set()
    policies: set[int] = set()
    cpus: set[frozenset[int]] = set()

    def counting(password_hash: str | None, password: str) -> bool:
        niceness.add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        policies.add(os.sched_getscheduler(0))
        cpus.add(frozenset(os.sched_getaffinity(0)))
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            release.wait(60)
            return verify_password(password_hash, password)
        finally:
            with lock:
                running[0] -= 1

    gate.verify = counting
    clients = [client_from(site, f"127.0.1.{i}") for i in range(10)]
    with ThreadPoolExecutor(len(clients)) as pool:
        futures = [pool.submit(login, api, f"flood-{i}") for i, api in enumerate(clients)]
        pending = set(futures)
        done: set[Any] = set()
        try:
            while len(done) < 5:  # 2 checking + 3 waiting; the 5 others are refused at once
                finished, pending = wait(pending, timeout=30, return_when=FIRST_COMPLETED)
                assert finished, "no answer within 30 s"
                done |= finished
            refused = [f.result() for f in done]
            assert len(done) == 5 and all(r.status_code == 503 for r in refused)
            assert all(r.json()["error"] == "busy" for r in refused)
            assert all(r.headers["Retry-After"] == "1" for r in refused)
            assert site.on_loop(lambda: gate.pending) == 5
            # A logged-in user is served meanwhile, and the same client may not start a
            # second check while its first is in progress.
            assert viewer.get("/api/v1/me").status_code == 200
            checking = next(i for i, f in enumerate(futures) if f not in done)
            again = login(clients[checking], "someone-else")
            assert again.status_code == 429
        finally:
            release.set()
        results = [f.result() for f in pending]
    assert [r.status_code for r in results] == [401] * 5
    assert most[0] == 2
    # The checks yield the CPU to the event loop: at once when it wakes (SCHED_IDLE),
    # and they leave it a CPU of its own.
    assert niceness == {CHECK_NICENESS}
    assert policies == {os.SCHED_IDLE}
    assert cpus == {frozenset(check_cpus(os.sched_getaffinity(0)))}


def test_a_refused_login_is_refused_before_its_body_is_read(gated_site: WebSite) -> None:
    """While its client must wait, or while every password check is taken, a login is
    refused on its headers alone: even a body that is not JSON gets the 429 or the 503
    (not a 400), so a flood of refused logins costs no parsing."""
    site = gated_site
    api = client_from(site, "127.0.0.41")

    def garbage(api: Api) -> requests.Response:
        return api.post(
            "/api/v1/login", data=b"{not json", headers={"Content-Type": "application/json"}
        )

    assert garbage(api).status_code == 400  # the body is read when the login is let through
    for i in range(site.config.web.login_client_failures):
        assert login(api, f"name-{i}").status_code == 401
    r = garbage(api)
    assert r.status_code == 429, r.text
    assert r.json()["error"] == "too_many_attempts" and r.headers["Retry-After"] == "1"
    # The checks all taken: another client's login is refused as busy, body unread.
    gate = site.web.passwords
    site.on_loop(lambda: setattr(gate, "pending", gate.concurrency + gate.queue))
    try:
        other = client_from(site, "127.0.0.42")
        r = garbage(other)
        assert r.status_code == 503 and r.json()["error"] == "busy", r.text
        assert r.headers["Retry-After"] == "1"
    finally:
        site.on_loop(lambda: setattr(gate, "pending", 0))
    assert login(client_from(site, "127.0.0.43"), "name-0").status_code == 401
