"""Bulk enrollment: ``pantau-collector enroll --sites-file`` (collector/bulk_enroll.py)."""

from __future__ import annotations

import io
import json
import stat
import time
from pathlib import Path

import pytest
from storebackends import Backend

from collector import auth
from collector.bulk_enroll import SitesFileError, enroll_lines, parse_sites
from collector.cli import main
from collector.enrollment import code_hash
from collector.store.base import Store
from collector.store.sqlite import SqliteStore


def sites_csv(count: int, *, prefix: str = "3171") -> str:
    return "tps_code\n" + "".join(
        f"{prefix}{i // 999 + 1:06d}{i % 999 + 1:03d}\n" for i in range(count)
    )


def test_bad_lines_are_refused_one_by_one_naming_line_and_character() -> None:
    text = (
        "tps_code,agent_id\n"
        "3171011001005,\n"  # line 2: good, default agent id
        "31710110010X5,\n"  # line 3: a letter
        "317101100100,\n"  # line 4: 12 digits
        "9971011001005,\n"  # line 5: no province 99
        "3171011001000,\n"  # line 6: TPS 000
        "3171011001005,\n"  # line 7: the site of line 2 again
        "3171011001006,kit-3171011001005\n"  # line 8: the agent id of line 2 again
        "3171011001007,bad id!\n"  # line 9: not an agent id
        "\n"  # a blank line is skipped
        "3171011001008,site-8\n"  # line 11: good
    )
    good, refused = parse_sites(text)
    assert [(g.line, g.site_code, g.agent_id) for g in good] == [
        (2, "3171011001005", "kit-3171011001005"),
        (11, "3171011001008", "site-8"),
    ]
    assert [r.line for r in refused] == [3, 4, 5, 6, 7, 8, 9]
    by_line = {r.line: r for r in refused}
    assert "'X' at position 12" in by_line[3].en and "'X' di posisi 12" in by_line[3].id
    assert "12 digits" in by_line[4].en and "12 angka" in by_line[4].id
    assert "'99', not a province" in by_line[5].en and "bukan kode provinsi" in by_line[5].id
    assert "000" in by_line[6].en
    assert "also on line 2" in by_line[7].en and "juga ada di baris 2" in by_line[7].id
    assert "also on line 2" in by_line[8].en
    assert by_line[3].text().startswith("line 3: ") and " / baris 3: " in by_line[3].text()


@pytest.mark.parametrize(
    "text",
    ["", "site,agent_id\n3171011001005,x\n", "tps_code,operator\n3171011001005,x\n"],
)
def test_a_file_without_the_header_is_refused_whole(text: str) -> None:
    with pytest.raises(SitesFileError, match="tps_code"):
        parse_sites(text)


def test_codes_are_issued_in_batches_and_enrolled_sites_refused(backend: Backend) -> None:
    store: Store = backend.open()
    try:
        store.add_agent("kit-3171000001001", "3171000001001", auth.hash_secret("s"))
        good, refused = parse_sites(sites_csv(25))
        assert not refused
        out = io.StringIO()
        calls: list[tuple[int, int]] = []
        issued, taken = enroll_lines(
            store, good, out, ttl_s=3600, batch=10, progress=lambda d, t: calls.append((d, t))
        )
        assert calls == [(10, 25), (20, 25), (25, 25)]
        assert [t.site_code for t in taken] == ["3171000001001"]  # already has its kit
        assert len(issued) == 24
        rows = out.getvalue().splitlines()
        assert rows[0] == "tps_code,agent_id,code,expires_unix" and len(rows) == 25
        # every written code works, once
        first = issued[0]
        assert store.redeem_enrollment_code(
            code_hash(first.code), auth.hash_secret("x"), "host", time.time_ns()
        ) == (first.agent_id, first.site_code)
        # a second run refuses everything: enrolled, or a valid code is pending
        issued2, taken2 = enroll_lines(store, good, io.StringIO(), ttl_s=3600)
        assert not issued2 and len(taken2) == 25
    finally:
        store.close()


def test_the_cli_enrolls_20000_sites_into_a_private_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sites = tmp_path / "sites.csv"
    sites.write_text(sites_csv(20_000) + "3171011001X05\n", encoding="utf-8")
    out = tmp_path / "codes.csv"
    argv = ["enroll", "--data-dir", str(tmp_path), "--sites-file", str(sites), "--out", str(out)]
    assert main([*argv, "--json"]) == 1  # one line refused: non-zero, the rest issued
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["issued"] == 20_000 and summary["refused"] == 1
    assert summary["refusals"][0]["line"] == 20_002
    assert "line 20002: TPS code '3171011001X05' has 'X' at position 11" in captured.err
    assert "baris 20002" in captured.err
    assert "enrolled 20000/20000 lines" in captured.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 20_001
    site, agent, code, _ = lines[1].split(",")
    store = SqliteStore(tmp_path / "collector.sqlite")
    try:
        assert store.redeem_enrollment_code(
            code_hash(code), auth.hash_secret("x"), "h", time.time_ns()
        ) == (agent, site)
    finally:
        store.close()
    # never over an existing file
    before = out.read_bytes()
    assert main(argv) == 2
    assert "exists" in capsys.readouterr().err
    assert out.read_bytes() == before


def test_the_cli_refuses_options_that_do_not_fit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sites = tmp_path / "sites.csv"
    sites.write_text(sites_csv(2), encoding="utf-8")
    base = ["enroll", "--data-dir", str(tmp_path)]
    assert main([*base, "--sites-file", str(sites)]) == 2
    assert "--out" in capsys.readouterr().err
    assert main([*base, "--site", "3171011001005", "--json"]) == 2
    out = tmp_path / "c.csv"
    assert main([*base, "--sites-file", str(sites), "--out", str(out)]) == 0
    assert "2 codes written" in capsys.readouterr().out
