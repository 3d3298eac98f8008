"""The committed generated code is exactly what `make proto` produces."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pantau.v1 import records_pb2, telemetry_pb2

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "proto" / "pantau" / "v1"


def test_regenerating_the_protobuf_code_changes_nothing(tmp_path: Path) -> None:
    pytest.importorskip("grpc_tools", reason="grpcio-tools (the dev extra) is not installed")
    shutil.copytree(ROOT / "proto", tmp_path / "proto")
    for generated in (tmp_path / "proto" / "pantau" / "v1").glob("*_pb2*"):
        generated.unlink()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-I",
            str(tmp_path / "proto"),
            f"--python_out={tmp_path / 'proto'}",
            f"--pyi_out={tmp_path / 'proto'}",
            f"--grpc_python_out={tmp_path / 'proto'}",
            *map(str, sorted((tmp_path / "proto" / "pantau" / "v1").glob("*.proto"))),
        ],
        check=True,
    )
    fresh = tmp_path / "proto" / "pantau" / "v1"
    names = sorted(p.name for p in GENERATED.glob("*_pb2*"))
    assert names == sorted(p.name for p in fresh.glob("*_pb2*"))
    match, mismatch, errors = filecmp.cmpfiles(GENERATED, fresh, names, shallow=False)
    assert mismatch == [] and errors == [], f"run `make proto`: stale {mismatch + errors}"
    assert len(match) == len(names) >= 5


def test_the_script_and_the_test_generate_the_same_way() -> None:
    script = (ROOT / "proto" / "genproto.sh").read_text()
    for flag in ("--python_out", "--pyi_out", "--grpc_python_out", "-I proto"):
        assert flag in script


def test_every_record_type_of_the_contract_exists() -> None:
    body = records_pb2.Record.DESCRIPTOR.oneofs_by_name["body"]
    assert {f.name for f in body.fields} == {
        "signal",
        "ping",
        "tcp",
        "dns",
        "http",
        "throughput",
        "trace",
        "event",
    }
    agent_msgs = {
        f.name for f in telemetry_pb2.AgentMessage.DESCRIPTOR.oneofs_by_name["msg"].fields
    }
    collector_msgs = {
        f.name for f in telemetry_pb2.CollectorMessage.DESCRIPTOR.oneofs_by_name["msg"].fields
    }
    assert agent_msgs == {"hello", "batch", "snapshot"}
    assert collector_msgs == {"welcome", "ack", "command"}
    kinds = set(records_pb2.AgentEvent.Kind.keys())
    assert {
        "KIND_MODEM_LOST",
        "KIND_MODEM_BACK",
        "KIND_SPOOL_OVERFLOW",
        "KIND_CLOCK_STEPPED",
        "KIND_REBOOT",
    } <= kinds


def test_every_measurement_is_optional_so_absent_is_not_zero() -> None:
    signal = records_pb2.SignalReading.DESCRIPTOR
    measurements = [f for f in signal.fields if f.name.endswith(("_dbm", "_db", "_deg"))]
    assert len(measurements) >= 10
    assert all(f.has_presence for f in measurements), [
        f.name for f in measurements if not f.has_presence
    ]
    reading = records_pb2.SignalReading(rsrp_dbm=-95.0)
    assert reading.HasField("rsrp_dbm") and not reading.HasField("sinr_db")


def test_every_record_carries_the_four_time_facts() -> None:
    names = {f.name for f in records_pb2.RecordTime.DESCRIPTOR.fields}
    assert names == {"wall_unix_ns", "monotonic_ns", "boot_id", "clock_synced"}


def test_signal_reading_grew_only_by_new_field_numbers() -> None:
    """Fields are added with new numbers, never renumbered: an older collector reads a
    newer kit's reading (unknown fields are skipped) and the other way round."""
    numbers = {f.name: f.number for f in records_pb2.SignalReading.DESCRIPTOR.fields}
    assert numbers["nr_pci"] == 30 and numbers["nr_arfcn"] == 31
    assert {
        k: numbers[k] for k in ("nr_band", "neighbours", "neighbours_reported", "carriers")
    } == {
        "nr_band": 32,
        "neighbours": 33,
        "neighbours_reported": 34,
        "carriers": 35,
    }
    assert sorted(numbers.values()) == list(range(1, 36))
    cell = {f.name: f.number for f in records_pb2.NeighbourCell.DESCRIPTOR.fields}
    assert cell["rat"] == 1 and cell["relation"] == 2 and max(cell.values()) == 15
    carrier = {f.name: f.number for f in records_pb2.CarrierComponent.DESCRIPTOR.fields}
    assert carrier["primary"] == 1 and max(carrier.values()) == 11
