"""The README's first command: the demo runs, exits 0, and `sites --json` shows its sites."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DEMO_SITES = {
    "3171011001005": "Telkomsel",
    "3273011002012": "Indosat",
    "5171011003001": "XL",
    "5171011003002": "XL",
    "5171011003003": "XL",
}
#: The Denpasar kits' XL cell (tower-outage.toml: TAC 0x1F4, cell 0x2A4C10B).
TOWER = {"5171011003001", "5171011003002", "5171011003003"}


def collector(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collector.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.slow
def test_demo_runs_streams_raises_and_resolves_tickets_and_exits_zero(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    demo = collector("demo", "--duration", "56", "--data-dir", str(data), timeout=150)
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

    # Bandung's signal fades below the threshold and recovers; Denpasar's XL cell goes
    # off air for a while: each site gives one ticket to its operator, opened and resolved.
    listing = collector("tickets", "list", "--state", "all", "--data-dir", str(data), "--json")
    assert listing.returncode == 0, listing.stderr
    tickets = {(t["site_code"], t["problem"]): t for t in json.loads(listing.stdout)}
    assert ("3273011002012", "WEAK_SIGNAL") in tickets, demo.stdout
    weak = tickets[("3273011002012", "WEAK_SIGNAL")]
    assert (weak["operator"], weak["route"], weak["state"]) == ("510-01", "indosat", "resolved")
    for code in TOWER:
        lost = tickets[(code, "NO_SERVICE")]
        assert (lost["operator"], lost["route"], lost["state"]) == ("510-11", "xl", "resolved")
    assert weak["evidence"]["last_bad"]["median_rsrp_dbm"] < -110
    assert not any(t["site_code"] == "3171011001005" for t in tickets.values())  # strong LTE

    # The tower outage is ONE cell incident of the three TPS, paged to XL's NOC with one
    # trigger and one resolve (the stand-in NOC prints each with the incident's title).
    listing = collector("incidents", "list", "--state", "all", "--data-dir", str(data), "--json")
    assert listing.returncode == 0, listing.stderr
    incidents = [d["incident"] for d in json.loads(listing.stdout)]
    xl = [i for i in incidents if i["operator"] == "510-11"]
    assert len(xl) == 1, incidents
    tower = xl[0]
    assert (tower["kind"], tower["route"], tower["state"]) == ("cell", "xl", "resolved")
    assert tower["scope"]["cell"] == "510-11:44351755"
    shown = collector("incidents", "show", str(tower["id"]), "--data-dir", str(data), "--json")
    assert shown.returncode == 0, shown.stderr
    assert {t["site_code"] for t in json.loads(shown.stdout)["tickets"]} == TOWER
    paged = [line for line in demo.stdout.splitlines() if "-> XL NOC:" in line]
    assert [line.split(": ")[1].split()[0] for line in paged] == ["trigger", "resolve"], paged
    assert f"trigger incident {tower['id']}: XL" in paged[0] and "cell 510-11:44351755" in paged[0]
    assert "-> Indosat NOC: trigger incident" in demo.stdout


def test_sites_on_a_missing_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    result = collector("sites", "--data-dir", str(tmp_path / "nothing"))
    assert result.returncode == 2
    assert "no collector data in" in result.stderr and "Traceback" not in result.stderr


def test_demo_refuses_a_non_positive_duration(tmp_path: Path) -> None:
    result = collector("demo", "--duration", "0", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "--duration must be a positive number of seconds, got 0.0" in result.stderr
