"""The README's first command: the demo runs, exits 0, and `sites --json` shows its sites."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DEMO_SITES = {"3171011001005": "Telkomsel", "3273011002012": "Indosat", "5171011003001": "XL"}


def collector(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collector.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.slow
def test_demo_runs_streams_and_exits_zero(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    demo = collector("demo", "--duration", "14", "--data-dir", str(data), timeout=90)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Summary:" in demo.stdout
    for site in DEMO_SITES:
        assert site in demo.stdout

    listing = collector("sites", "--data-dir", str(data), "--json")
    assert listing.returncode == 0, listing.stderr
    sites = {s["site_code"]: s for s in json.loads(listing.stdout)}
    assert set(sites) == set(DEMO_SITES)
    for code, operator in DEMO_SITES.items():
        site = sites[code]
        assert site["operator"] is not None and operator in site["operator"]["name"]
        assert site["ping"] is not None and site["ping"]["median_ms"] is not None
        assert site["ping"]["loss_ratio"] == 0.0
        assert site["records"] > 5
    assert sites["3171011001005"]["rsrp_dbm"] is not None
    assert -100 < sites["3171011001005"]["rsrp_dbm"] < -70


def test_sites_on_a_missing_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    result = collector("sites", "--data-dir", str(tmp_path / "nothing"))
    assert result.returncode == 2
    assert "no collector data in" in result.stderr and "Traceback" not in result.stderr


def test_demo_refuses_a_non_positive_duration(tmp_path: Path) -> None:
    result = collector("demo", "--duration", "0", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "--duration must be a positive number of seconds, got 0.0" in result.stderr
