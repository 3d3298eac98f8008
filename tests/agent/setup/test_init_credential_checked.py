"""A credential the collector refuses: ``check`` gives the one advice that works
(``init --re-enroll --code``, run here as given), and ``init`` re-run with the refused
credential proves it with a real Hello -> Welcome and fails instead of saying "Done"."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

from initkit import AGENT, COLLECTOR, SITE, RunningCollector, clean_env


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), capture_output=True, text=True, timeout=90, env=clean_env(), check=False
    )


def check(config: Path, lang: str = "en") -> dict[str, object]:
    done = run(AGENT, "check", "--json", "--config", str(config), "--lang", lang,
               "--no-throughput", "--ping-interval", "0.01")  # fmt: skip
    assert done.stdout.strip(), done.stderr
    doc: dict[str, object] = json.loads(done.stdout)
    return doc


def test_a_revoked_credential_fails_init_and_the_advice_re_enrolls(
    tmp_path: Path, collector: RunningCollector
) -> None:
    config = tmp_path / "etc" / "agent.toml"
    first = run(AGENT, "init", "--yes", "--lang", "en", "--config", str(config),
                "--data-dir", str(tmp_path / "data"), "--no-install-service",
                "--site", SITE, "--collector", collector.address, "--modem", "none",
                "--code", collector.code())  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    assert check(config)["collector"]["status"] == "ok"  # type: ignore[index]

    revoke = run(COLLECTOR, "revoke", "--data-dir", str(collector.db.parent), f"kit-{SITE}")
    assert revoke.returncode == 0, revoke.stderr

    # Re-running init with the revoked credential: a real Hello, refused: exit 1, no "Done".
    for lang, refused in (
        ("en", "refuses the credential of kit"),
        ("id", "menolak kredensial kit"),
    ):
        again = run(AGENT, "init", "--yes", "--lang", lang, "--config", str(config),
                    "--no-install-service")  # fmt: skip
        out = again.stdout + again.stderr
        assert again.returncode == 1, out
        assert refused in out and "--re-enroll --code" in out
        assert "Done" not in out and "Selesai" not in out

    # check: refused, one advice, the command that works.
    doc = check(config)
    reasons = {r["code"] for r in doc["reasons"]}  # type: ignore[attr-defined]
    assert "COLLECTOR_REJECTED" in reasons
    advice = doc["advice"]
    assert [a["code"] for a in advice] == ["ENROLL"]  # type: ignore[attr-defined]
    message = advice[0]["message"]  # type: ignore[index]
    assert "pantau-agent enroll" not in message
    (command,) = re.findall(r"`([^`]+)`", message)
    assert command == f"sudo pantau-agent init --re-enroll --code CODE --config {config}"
    id_doc = check(config, "id")
    assert "init --re-enroll --code KODE" in id_doc["advice"][0]["message"]  # type: ignore[index]

    # Follow the advice as written (without sudo: the test runs as the files' owner).
    argv = [AGENT if word == "pantau-agent" else word for word in shlex.split(command)[1:]]
    argv[argv.index("CODE")] = collector.code()
    followed = run(*argv, "--yes", "--lang", "en", "--no-install-service")
    assert followed.returncode == 0, followed.stdout + followed.stderr
    assert "accepts the credential" not in followed.stdout  # a new one, from the code
    after = check(config)
    assert after["collector"]["status"] == "ok", after["collector"]  # type: ignore[index]
    assert "COLLECTOR_REJECTED" not in {r["code"] for r in after["reasons"]}  # type: ignore[attr-defined]
