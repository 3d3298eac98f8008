"""Agent configuration: every bad file gets its exact message and exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.config import load_agent_config, modem_with_flags
from pantau.core.tomlconfig import ConfigError

DATA = Path(__file__).resolve().parents[1] / "data" / "config"
BAD = DATA / "bad"

EXPECTED = {
    "bad-address.toml": "[collector] address: expected HOST:PORT (e.g. collector.example:7600), got 'collector.example'",
    "bad-backhaul.toml": "[kit] backhaul: expected one of 'cellular' (the kit's own mobile data, the default); 'vsat-geo' (a geostationary VSAT link such as BAKTI, RTT 500-700 ms); 'vsat-leo' (a low-earth-orbit satellite terminal); 'wired' (a fixed line: fibre, DSL, the site's LAN), got 'vsat' / jenis sambungan 'vsat' tidak dikenal, pilih salah satu: 'cellular' (data seluler kit sendiri, bawaan); 'vsat-geo' (VSAT satelit geostasioner seperti BAKTI, RTT 500-700 ms); 'vsat-leo' (terminal satelit orbit rendah); 'wired' (sambungan kabel: serat optik, DSL, LAN)",
    "backhaul-not-a-string.toml": "[kit] backhaul: expected a string, got an integer (2)",
    "bad-dialect.toml": "[modem] dialect: expected one of 'auto', '3gpp', 'quectel', 'simcom', 'huawei', 'sierra', 'fibocom', got a string ('nokia')",
    "bad-probe-option.toml": "[[probe]] #1: count must be between 1 and 100, got 0",
    "bad-tps.toml": "[agent] site: TPS code '317101100100' must be 13 digits (10-digit desa/kelurahan code + 3-digit TPS number, e.g. 3171011001005)",
    "duplicate-probe.toml": "[[probe]] #2 name: 'ping' is used twice",
    "missing-collector.toml": "[collector]: required section is missing",
    "not-toml.toml": "not valid TOML: Expected ']' at the end of a table declaration (at line 1, column 7)",
    "plaintext-remote.toml": "[collector] ca_file: required for a collector outside loopback (TLS, pinned to the deployment's ca.crt); insecure = true sends in plaintext (testing only)",
    "out-of-range.toml": "[modem] interval_s: expected a number between 1 and 3600, got 0",
    "unknown-key.toml": "[agent] sitee: unknown key (did you mean 'site'? allowed here: data_dir, id, site)",
    "unknown-prober.toml": "[[probe]] #1 kind: unknown prober 'pingg' (known: dns, http, icmp, tcp, throughput, trace)",
    "modems-and-modem.toml": "[modem] and [[modems]]: use one of them (a kit with one modem: [modem]; with a modem per operator: [[modems]]) / pakai salah satu saja: [modem] untuk satu modem, [[modems]] untuk satu modem per operator",
    "modems-too-many.toml": "[[modems]]: at most 3 modems (one per operator), got 4 / paling banyak 3 modem (satu per operator), tertulis 4",
    "modems-same-port.toml": "[[modems]] #2 port: '/dev/ttyUSB2' is used by two modems / port '/dev/ttyUSB2' dipakai oleh dua modem",
    "modems-no-port.toml": "[[modems]] #1 port: required (the modem's AT port: a device such as /dev/ttyUSB2, a USB identity usb:VID:PID:ifNN, or a pty) / port AT modem wajib diisi (perangkat seperti /dev/ttyUSB2, identitas USB usb:VID:PID:ifNN, atau pty)",
    "modems-bad-name.toml": "[[modems]] #1 name: expected 1-16 lower-case letters, digits, '-' or '_' starting with a letter or digit (e.g. 'tsel'), got 'Telkomsel 1' / nama modem 'Telkomsel 1' tidak sah: 1-16 huruf kecil, angka, '-' atau '_' (contoh 'tsel')",
    "modems-bad-interface.toml": "[[modems]] #1 interface: expected a network interface name (e.g. 'wwan0') or an IP address, got 'wwan 0' / antarmuka jaringan 'wwan 0' tidak sah: tulis nama antarmuka (contoh 'wwan0') atau alamat IP",
    "wrong-type.toml": "[modem] interval_s: expected a number between 1 and 3600, got a string ('30s')",
    "sms-without-number.toml": "[sms] collector_number: required when enabled (the collector's gateway number, e.g. +628110000099)",
    "sms-bad-number.toml": "[sms] collector_number: phone number '0811-CALL-ME': expected up to 20 digits, optionally after +",
}


def test_every_bad_fixture_has_an_expected_message() -> None:
    assert sorted(p.name for p in BAD.glob("*.toml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_config_gives_its_exact_message(name: str) -> None:
    path = BAD / name
    with pytest.raises(ConfigError) as info:
        load_agent_config(path)
    assert str(info.value) == f"{path}: {EXPECTED[name]}"


def test_the_cli_exits_2_with_the_message_and_no_traceback() -> None:
    path = BAD / "out-of-range.toml"
    result = subprocess.run(
        [sys.executable, "-m", "agent.cli", "config-check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == f"pantau-agent: {path}: {EXPECTED['out-of-range.toml']}\n"


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: file not found$"):
        load_agent_config(tmp_path / "nope.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match=r"binary.toml: not UTF-8 text \(byte 0\)$"):
        load_agent_config(binary)
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_agent_config(tmp_path)  # a directory


def test_a_good_file_gives_typed_values_and_defaults() -> None:
    config = load_agent_config(DATA / "good-agent.toml")
    assert config.agent.site == "3171011001005"
    assert config.modem.interval_s == 30.0 and config.modem.dialect == "auto"
    assert config.spool.max_bytes == 64 * 1024 * 1024
    assert [(p.name, p.kind, p.interval_s) for p in config.probes] == [
        ("ping-collector", "icmp", 60.0),
        ("tcp-collector", "tcp", 60.0),
    ]
    assert config.probes[0].config.count == 5
    assert config.credential_token() == "kit-1.secret"
    assert config.kit.backhaul == "cellular"  # no [kit]: the kit's own mobile data


def test_a_satellite_kit_declares_its_backhaul_and_needs_no_modem() -> None:
    config = load_agent_config(DATA / "satellite-kit.toml")
    assert config.kit.backhaul == "vsat-geo"
    assert config.modem.port == ""  # no modem: probes only
    # a reply over the geostationary link takes 500-700 ms and more: the ping waits 3 s
    assert config.probes[0].config.timeout_s == 3.0
    assert load_agent_config(DATA / "good-agent.toml").probes[0].config.timeout_s == 1.0


def test_flags_are_laid_over_the_file_and_checked_by_its_builder() -> None:
    config = load_agent_config(DATA / "good-agent.toml")
    both = modem_with_flags(config, {"port": None, "dialect": "quectel"}, source="cli")
    assert both.port == config.modem.port  # a flag left out keeps the file's value
    assert both.dialect == "quectel"
    assert both.interval_s == config.modem.interval_s
    alone = modem_with_flags(None, {"port": "socket://127.0.0.1:9"}, source="cli")
    assert (alone.port, alone.dialect, alone.command_timeout_s) == (
        "socket://127.0.0.1:9",
        "auto",
        3.0,
    )
    with pytest.raises(ConfigError, match=r"^cli: port: modem port 'usb:zz'"):
        modem_with_flags(None, {"port": "usb:zz"}, source="cli")
    with pytest.raises(ConfigError, match=r"^cli: dialect: expected one of 'auto'"):
        modem_with_flags(config, {"dialect": "nokia"}, source="cli")


def test_the_files_dialects_are_the_modems() -> None:
    import typing

    from agent.config import ModemSection
    from agent.modem.dialects import DIALECTS

    hint = typing.get_type_hints(ModemSection)["dialect"]
    assert typing.get_args(hint) == ("auto", *DIALECTS)


def test_a_kit_with_a_modem_per_operator_lists_them_in_order() -> None:
    config = load_agent_config(DATA / "multi-modem.toml")
    assert [(m.name, m.port, m.interface, m.interval_s) for m in config.modems] == [
        ("tsel", "usb:2c7c:0125:if02", "wwan0", 30.0),
        ("isat", "/dev/ttyUSB6", "wwan1", 60.0),
        ("m3", "/dev/ttyUSB10", "wwan2", 30.0),  # named by its place when the file does not
    ]
    assert config.modem is config.modems[0]
    assert config.modems[0].dialect == "quectel"


def test_the_single_modem_table_is_a_kit_of_one_unnamed_modem() -> None:
    config = load_agent_config(DATA / "good-agent.toml")
    assert config.modems == (config.modem,)
    assert config.modem.name == "" and config.modem.interface == ""
    assert load_agent_config(DATA / "satellite-kit.toml").modems == ()
