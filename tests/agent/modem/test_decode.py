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
from agent.modem.errors import LocalProtocolError

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
        (b"\x00\x01\x02\x03" * 64, "nothing decodable: it looks binary"),
        (bytes(range(256)) * 16, "nothing decodable: it looks binary"),
        (b"", "nothing decodable: the file is empty"),
        (b"hello\nworld\n", "nothing decodable: no AT answer or known URC in its 2 lines"),
        # typed commands that never got an answer, noise around them
        (b"\xf0\x9f\x8eAT\r\nAT+CSQ\r\n\xff\xfe\x01\r\n", "nothing decodable: no AT answer"),
    ],
    ids=["missing", "binary", "all-bytes", "empty", "text", "commands-only"],
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
    # 160 dB is impossible: without the model the SINR is left out, never guessed
    assert ("sinr_db" in raw[0], scaled[0]["sinr_db"]) == (False, 12.0)


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
        {"line": 4, "kind": "unknown", "reason": "garbage", "bytes": 2, "text": "\\xff\\xfe"},
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


#: A session wrapped in line noise and binary garbage: baud-rate noise before it, noise
#: glued to a typed command, the modem resetting in the middle of a line, a binary blob
#: (every byte value, line ends included) after it.
GARBLED = (
    b"\xf0\x9f\x00\x8e\x11\xc3(\x1f\xff\r\n"  # 1: baud-rate noise
    b"\x85\x03\x9a\xfe\r\n"  # 2
    b"\xe5\x80\x1dAT+CSQ\r\n"  # 3: noise glued to the command
    b"+CSQ: 20,99\r\n"  # 4
    b"OK\r\n"  # 5
    b"AT+CESQ\r\n"  # 6
    b"+CESQ: 99,99,255,2\x00\x00\xff\xfe\x93\r\n"  # 7: the modem resets mid-line
    b"\x00\x00RDY\r\n"  # 8
    b'AT+QENG="servingcell"\r\n'  # 9
    b'+QENG: "servingcell","NOCONN","LTE","FDD",510,10,1A2D001,123,1850,3,5,5,3E8,'
    b"-95,-10,-65,14,12,-,30\r\n"  # 10
    b"OK\r\n" + bytes(range(256)) * 4  # 11  # 12..: a binary blob
)
GARBLED_READABLE: list[dict[str, Any]] = [
    {
        "line": 4,
        "kind": "response",
        "command": "AT+CSQ",
        "csq": 20,
        "rssi_dbm": -73.0,
        "final": "OK",
    },
    {
        "line": 6,
        "kind": "unknown",
        "command": "AT+CESQ",
        "text": "AT+CESQ",
        "reason": "no final result",
    },
    {"line": 8, "kind": "urc", "command": "RDY", "text": "RDY"},
    {**QUECTEL[2], "line": 10, "sinr_db": 14.0},  # the EC25's answer, SINR in dB
]


def _garbage_lines(records: list[dict[str, object]]) -> list[object]:
    return [r["line"] for r in records if r.get("reason") == "garbage"]


def test_a_garbage_wrapped_capture_is_decoded_whole_and_byte_by_byte() -> None:
    whole = decode.decode_bytes(GARBLED)
    decoder = decode.CaptureDecoder()
    for i in range(len(GARBLED)):
        decoder.receive_data(GARBLED[i : i + 1])
    assert decoder.finish() == whole
    assert [r for r in whole if r.get("reason") != "garbage"] == GARBLED_READABLE
    garbage = _garbage_lines(whole)
    assert garbage[:4] == [1, 2, 3, 7]
    assert set(garbage[4:]) == {12, 13, 14, 15, 16}  # the blob holds four \n
    noise = next(r for r in whole if r["line"] == 3)
    assert noise == {
        "line": 3,
        "kind": "unknown",
        "reason": "garbage",
        "bytes": 3,
        "text": "\\xe5\\x80\x1d",
    }
    summary = decode.summarize(whole)
    assert (summary.decoded, summary.skipped_lines[:4]) == (2, (1, 2, 3, 7))
    assert summary.skipped == len(garbage)
    assert summary.skipped_text().startswith(f"skipped {len(garbage)} unreadable pieces (")
    assert summary.skipped_text().endswith(" on lines 1-3, 7, 12-16")


def test_a_bare_cr_capture_fed_in_pieces_matches_the_whole() -> None:
    data = b"AT+CSQ\r+CSQ: 20,99\rOK\r\xff\xfe\rAT+CESQ\r+CESQ: 99,99,255,255,23,46\rOK\r"
    decoder = decode.CaptureDecoder()
    for i in range(0, len(data), 3):
        decoder.receive_data(data[i : i + 3])
    records = decoder.finish()
    assert records == decode.decode_bytes(data)
    assert [r["line"] for r in records] == [2, 4, 6]
    with pytest.raises(LocalProtocolError, match="after finish"):
        decoder.receive_data(b"OK\r")


def test_cli_decodes_the_readable_part_and_reports_what_it_skipped(tmp_path: Path) -> None:
    path = tmp_path / "garbled.log"
    path.write_bytes(GARBLED)
    done = _cli(str(path))
    assert done.returncode == 0, done.stderr
    records = [json.loads(x) for x in done.stdout.splitlines()]
    assert [r for r in records if r.get("reason") != "garbage"] == GARBLED_READABLE
    skipped = len(_garbage_lines(records))
    assert done.stderr == (
        f"pantau-agent: {path}: skipped {skipped} unreadable pieces "
        f"({decode.summarize(records).skipped_bytes} bytes) on lines 1-3, 7, 12-16; "
        "decoded 2 answers and URCs\n"
    )
