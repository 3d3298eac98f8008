"""``pantau-agent modem decode``: captured AT sessions -> JSON objects, and its CLI."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.modem import decode

CAPTURES = Path(__file__).resolve().parents[2] / "data" / "at" / "captures"
ROOT = Path(__file__).resolve().parents[3]


QUECTEL: list[dict[str, Any]] = [
    {"line": 3, "kind": "response", "command": "ATE0", "final": "OK"},
    {
        "line": 5,
        "kind": "response",
        "command": "ATI",
        "manufacturer": "Quectel",
        "model": "EC25",
        "firmware": "EC25EFAR06A06M4G",
        "final": "OK",
    },
    {
        # EC25 (learned from ATI above) reports SINR as x/5 - 20: 160 -> 12 dB
        "line": 11,
        "kind": "response",
        "command": 'AT+QENG="servingcell"',
        "rat": "lte",
        "mcc": "510",
        "mnc": "10",
        "tac": 1000,
        "cell_id": 27447297,
        "pci": 123,
        "earfcn": 1850,
        "band": 3,
        "rssi_dbm": -65.0,
        "rsrp_dbm": -95.0,
        "rsrq_db": -10.0,
        "sinr_db": 12.0,
        "final": "OK",
    },
    {
        "line": 12,
        "kind": "urc",
        "command": "+CEREG",
        "reg_state": "home",
        "tac": 1000,
        "cell_id": 27447297,
        "rat": "lte",
    },
    {
        "line": 15,
        "kind": "response",
        "command": "AT+QGPSLOC=2",
        "fix": False,
        "final": "+CME ERROR: 516",
    },
    {
        "line": 17,
        "kind": "response",
        "command": "AT+QGPSLOC=2",
        "fix": True,
        "lat_deg": -6.2088,
        "lon_deg": 106.8456,
        "altitude_m": 45.0,
        "hdop": 1.2,
        "satellites": 8,
        "speed_kmh": 0.0,
        "course_deg": 0.0,
        "utc": "2024-02-14T10:00:30Z",
        "final": "OK",
    },
    {
        "line": 20,
        "kind": "response",
        "command": "AT+QSPN",
        "lines": ['+QSPN: "TELKOMSEL","TSEL","",0,"51010"'],
        "final": "OK",
    },
    {"line": 22, "kind": "unknown", "text": "hello from the operator"},
]

HUAWEI: list[dict[str, Any]] = [
    {
        "line": 3,
        "kind": "response",
        "command": "AT^HCSQ?",
        "rat": "lte",
        "rssi_dbm": -69.0,
        "rsrp_dbm": -93.0,
        "rsrq_db": -7.5,
        "sinr_db": 9.8,
        "final": "OK",
    },
    {"line": 5, "kind": "urc", "command": "^RSSI", "csq": 21, "rssi_dbm": -71.0},
    {
        "line": 8,
        "kind": "urc",
        "command": "^HCSQ",
        "rat": "lte",
        "rssi_dbm": -76.0,
        "rsrp_dbm": -107.0,
        "rsrq_db": -10.0,
        "sinr_db": 1.0,
    },
    {"line": 9, "kind": "urc", "command": "RING", "text": "RING"},
    {
        "line": 12,
        "kind": "response",
        "command": "AT+COPS?",
        "mcc": "510",
        "mnc": "89",
        "operator_name": "Indosat Ooredoo Hutchison",
        "rat": "lte",
        "final": "OK",
    },
    {
        "line": 17,
        "kind": "response",
        "command": "AT+CPIN?",
        "sim_state": "absent",
        "final": "+CME ERROR:10",
    },
    {
        "line": 20,
        "kind": "response",
        "command": "AT^SYSINFOEX",
        "lines": ['^SYSINFOEX:2,3,0,1,,3,"WCDMA",41,"WCDMA"'],
        "final": "OK",
    },
    {
        # the log ends before OK: reported, not dropped
        "line": 25,
        "kind": "unknown",
        "command": "AT+CSQ",
        "text": "+CSQ: 21,99",
        "reason": "no final result",
    },
]

SIMCOM: list[dict[str, Any]] = [
    {
        "line": 2,
        "kind": "response",
        "command": "ATI",
        "manufacturer": "SIMCOM INCORPORATED",
        "model": "SIMCOM_SIM7600E-H",
        "firmware": "SIM7600M22_V2.0",
        "imei": "867698041234560",
        "final": "OK",
    },
    {
        # SIM7600 (learned from ATI) reports RSRQ/RSRP/RSSI in tenths
        "line": 10,
        "kind": "response",
        "command": "AT+CPSI?",
        "rat": "lte",
        "mcc": "510",
        "mnc": "10",
        "tac": 1000,
        "cell_id": 27447297,
        "pci": 123,
        "earfcn": 1850,
        "band": 3,
        "rssi_dbm": -65.2,
        "rsrp_dbm": -95.3,
        "rsrq_db": -10.5,
        "sinr_db": 12.0,
        "final": "OK",
    },
    {
        "line": 14,
        "kind": "response",
        "command": "AT+CGPSINFO",
        "fix": True,
        "lat_deg": -10.1772,
        "lon_deg": 123.607,
        "altitude_m": 52.3,
        "speed_kmh": 0.0,
        "course_deg": 0.0,
        "utc": "2024-02-14T02:46:03Z",
        "final": "OK",
    },
    {
        "line": 18,
        "kind": "response",
        "command": "AT+COPS=?",
        "operators": [
            {
                "status": "current",
                "long_name": "TELKOMSEL",
                "short_name": "TSEL",
                "numeric": "51010",
                "mcc": "510",
                "mnc": "10",
                "act": 7,
                "rat": "lte",
            },
            {
                "status": "available",
                "long_name": "XL Axiata",
                "short_name": "XL",
                "numeric": "51011",
                "mcc": "510",
                "mnc": "11",
                "act": 7,
                "rat": "lte",
            },
        ],
        "final": "OK",
    },
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("quectel-ec25-minicom.log", QUECTEL),
        ("huawei-picocom.log", HUAWEI),
        ("simcom-plain.log", SIMCOM),
    ],
)
def test_decode_capture(name: str, expected: list[dict[str, Any]]) -> None:
    assert decode.decode_file(CAPTURES / name) == expected


def test_run_decode_prints_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(file=str(CAPTURES / "simcom-plain.log"), model=None)
    assert decode.run_decode(args) == 0
    out, err = capsys.readouterr()
    assert [json.loads(x) for x in out.splitlines()] == SIMCOM
    assert err == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        (b"\x00\x01\x02\x03" * 64, "looks binary"),
    ],
    ids=["missing", "binary"],
)
def test_run_decode_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "capture.log"
    if content is not None:
        path.write_bytes(content)
    assert decode.run_decode(argparse.Namespace(file=str(path), model=None)) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"pantau-agent: {path}: {message}")


def test_run_decode_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert decode.run_decode(argparse.Namespace(file=str(tmp_path), model=None)) == 2
    assert "is a directory" in capsys.readouterr().err


def test_model_option_sets_units_without_ati() -> None:
    data = (
        b'AT+QENG="servingcell"\r\n+QENG: "servingcell","NOCONN","LTE","FDD",510,10,'
        b"1A2D001,123,1850,3,5,5,3E8,-95,-10,-65,160,12,-,30\r\nOK\r\n"
    )
    raw = decode.decode_bytes(data)
    scaled = decode.decode_bytes(data, model="EC25")
    assert (raw[0]["sinr_db"], scaled[0]["sinr_db"]) == (160.0, 12.0)


def test_line_ends_and_garbage() -> None:
    data = b"AT+CSQ\r+CSQ: 20,99\rOK\r\x00\x00\xff\xfeRDY\r"  # bare CR line ends, noise
    assert decode.decode_bytes(data) == [
        {
            "line": 2,
            "kind": "response",
            "command": "AT+CSQ",
            "csq": 20,
            "rssi_dbm": -73.0,
            "final": "OK",
        },
        {"line": 4, "kind": "unknown", "text": "\xff\xfe"},
        {"line": 4, "kind": "urc", "command": "RDY", "text": "RDY"},
    ]


def test_command_without_any_answer_is_reported() -> None:
    assert decode.decode_bytes(b"AT+CSQ\nAT+CESQ\n+CESQ: 99,99,255,255,23,46\nOK\n") == [
        {
            "line": 1,
            "kind": "unknown",
            "command": "AT+CSQ",
            "text": "AT+CSQ",
            "reason": "no final result",
        },
        {
            "line": 3,
            "kind": "response",
            "command": "AT+CESQ",
            "rsrq_db": -8.5,
            "rsrp_dbm": -95.0,
            "final": "OK",
        },
    ]


def test_malformed_known_answer_reports_the_error() -> None:
    (record,) = decode.decode_bytes(b"AT+CESQ\n+CESQ: 99,99\nOK\n")
    assert record["error"] == "+CESQ needs 6 fields, got 2: ['99', '99']"
    assert record["lines"] == ["+CESQ: 99,99"]


def test_add_parser_wires_the_handler() -> None:
    parser = argparse.ArgumentParser(prog="pantau-agent modem")
    decode.add_parser(parser.add_subparsers(dest="modem_command"))
    args = parser.parse_args(["decode", "capture.log", "--json"])
    assert args.handler is decode.run_decode
    assert (args.file, args.json, args.model) == ("capture.log", True, None)


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", "modem", "decode", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_cli_decode_good_file() -> None:
    done = _cli(str(CAPTURES / "huawei-picocom.log"))
    assert (done.returncode, done.stderr) == (0, "")
    assert [json.loads(x) for x in done.stdout.splitlines()] == HUAWEI


def test_cli_decode_missing_file(tmp_path: Path) -> None:
    done = _cli(str(tmp_path / "capture.log"))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"pantau-agent: {tmp_path / 'capture.log'}: file not found\n"
