"""``pantau-collector users`` and ``serve --http-listen``, as subprocesses."""

from __future__ import annotations

import json
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from collector.store.sqlite import SqliteStore
from collector.web.accounts import verify_password


def collector(
    *args: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collector.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_users_add_list_remove(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    r = collector(
        "users", "add", "rina", "--role", "operator", "--operator", "telkomsel",
        "--password-stdin", *data, stdin="correct horse battery\n",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "added rina (operator, 510-10 (Telkomsel))" in r.stdout
    r = collector("users", "add", "sari", "--role", "viewer", "--password-stdin", *data,
                  stdin="another long one\n")  # fmt: skip
    assert r.returncode == 0, r.stderr

    listing = collector("users", "list", "--json", *data)
    assert listing.returncode == 0, listing.stderr
    users = {u["username"]: u for u in json.loads(listing.stdout)}
    assert users["rina"]["role"] == "operator" and users["rina"]["operator"] == "510-10"
    assert users["sari"]["operator"] is None and users["sari"]["disabled"] is False
    table = collector("users", "list", *data)
    assert "rina" in table.stdout and "Telkomsel" in table.stdout

    store = SqliteStore(tmp_path / "collector.sqlite")
    try:
        user = store.get_user("rina")
        assert user is not None and user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, "correct horse battery")
    finally:
        store.close()

    assert collector("users", "remove", "rina", *data).returncode == 0
    r = collector("users", "remove", "rina", *data)
    assert r.returncode == 2 and "no user 'rina'" in r.stderr
    assert "rina" not in collector("users", "list", *data).stdout


def test_users_bad_input_is_exit_2_without_a_traceback(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    cases = [
        (["users", "add", "x", "--role", "boss", "--password-stdin"], "pw-long-enough\n", "role"),
        (["users", "add", "x", "--role", "viewer", "--operator", "nokia", "--password-stdin"],
         "pw-long-enough\n", "neither MCC-MNC"),
        (["users", "add", "x", "--role", "viewer", "--password-stdin"], "short\n", "at least 8"),
        (["users", "add", "x", "--role", "viewer", "--password-stdin"], "", "no password"),
        (["users", "add", "bad name", "--role", "viewer", "--password-stdin"], "pw-long-enough\n",
         "user name"),
        (["users", "add", "x", "--role", "viewer"], "", "--password-stdin"),
    ]  # fmt: skip
    for args, stdin, message in cases:
        r = collector(*args, *data, stdin=stdin)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert message in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    ok = collector("users", "add", "x", "--role", "viewer", "--password-stdin", *data,
                   stdin="pw-long-enough\n")  # fmt: skip
    assert ok.returncode == 0
    again = collector("users", "add", "x", "--role", "admin", "--password-stdin", *data,
                      stdin="pw-long-enough\n")  # fmt: skip
    assert again.returncode == 2 and "exists already" in again.stderr
    missing = collector("users", "list", "--data-dir", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "no collector data in" in missing.stderr


def test_serve_http_listen_on_a_free_port_prints_the_url(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "collector.cli", "serve", "--data-dir", str(tmp_path),
            "--listen", "127.0.0.1:0", "--throughput-listen", "off",
            "--http-listen", "127.0.0.1:0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline and not line.startswith("operations centre:"):
            if selector.select(timeout=max(0.0, deadline - time.monotonic())):
                line = proc.stdout.readline()
                if not line:
                    break
        selector.close()
        assert line.startswith("operations centre: http://127.0.0.1:"), line
        url = line.split(": ", 1)[1].strip().rstrip("/")
        assert not url.endswith(":0")
        with requests.Session() as http:
            assert http.get(f"{url}/healthz", timeout=10).json() == {"status": "ok"}
            assert http.get(f"{url}/api/v1/me", timeout=10).status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_serve_refuses_a_bad_http_listen(tmp_path: Path) -> None:
    r = collector("serve", "--data-dir", str(tmp_path), "--http-listen", "nowhere")
    assert r.returncode == 2 and "--http-listen must be HOST:PORT" in r.stderr


def test_web_over_tls_when_the_collector_has_it(tmp_path: Path) -> None:
    import asyncio

    from collector.server import Collector
    from collector.tls import init_tls
    from collector.web.accounts import hash_password

    paths = init_tls(tmp_path, ["127.0.0.1"])
    store = SqliteStore(tmp_path / "collector.sqlite")
    store.add_user("tls", hash_password("long enough pw"), "viewer", None, time.time_ns())

    async def main() -> None:
        collector = Collector(store, tls=paths)
        try:
            await collector.start("127.0.0.1:0")
            port = await collector.start_web("127.0.0.1:0")
            assert collector.web_url == f"https://127.0.0.1:{port}"

            def client() -> tuple[int, str]:
                with requests.Session() as http:
                    r = http.post(
                        f"{collector.web_url}/api/v1/login",
                        json={"username": "tls", "password": "long enough pw"},
                        verify=str(paths.ca_cert),
                        timeout=10,
                    )
                    return r.status_code, r.headers["Set-Cookie"]

            status, cookie = await asyncio.to_thread(client)
            assert status == 200 and "Secure" in cookie and "HttpOnly" in cookie
        finally:
            await collector.stop(0)

    try:
        asyncio.run(main())
    finally:
        store.close()


def test_users_add_prompts_for_the_password_twice(tmp_path: Path) -> None:
    import pexpect

    def add(name: str, first: str, second: str) -> tuple[int, str]:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "collector.cli", "users", "add", name, "--role", "admin",
             "--data-dir", str(tmp_path)],
            timeout=30,
            encoding="utf-8",
        )  # fmt: skip
        child.expect(f"password for {name}: ")
        child.sendline(first)
        child.expect("again: ")
        child.sendline(second)
        child.expect(pexpect.EOF)
        child.close()
        return int(child.exitstatus or 0), str(child.before)

    code, output = add("gita", "a fine passphrase", "a fine passphrase")
    assert code == 0 and "added gita (admin, every network)" in output
    code, output = add("hadi", "a fine passphrase", "another one here")
    assert code == 2 and "the two passwords differ" in output and "Traceback" not in output
    store = SqliteStore(tmp_path / "collector.sqlite")
    try:
        assert store.get_user("gita") is not None and store.get_user("hadi") is None
    finally:
        store.close()
