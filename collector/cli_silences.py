"""``pantau-collector silences add|list|expire``: planned work that pages nobody.

An operator announces work on a network, optionally narrowed to a cell, a
kabupaten/kota, a province and a problem family; incidents it matches are recorded but
page nobody until it ends (:mod:`collector.incidents`). Messages come in English and
in Bahasa Indonesia (a silence is a "jeda notifikasi"); times are shown in the zone of
the silence's province (WIB, WITA or WIT; WIB when it names none) and taken as ISO
8601 with a zone offset.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import re
import sys
import time
from typing import Any

from collector.incidents import Family
from collector.store.silences import StoredSilence
from pantau.core.untrusted import terminal

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
_S = 1_000_000_000
#: Provinces (the TPS code's first two digits) on WITA (UTC+8) and WIT (UTC+9).
WITA = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"})
WIT = frozenset({"81", "82", "91", "92", "93", "94", "95", "96", "97"})
_UNITS = {"m": 60, "h": 3600, "d": 86_400}


def zone_of(province: str | None) -> tuple[str, dt.timezone]:
    """The local zone of a province: (WIB|WITA|WIT, its offset)."""
    if province in WIT:
        return "WIT", dt.timezone(dt.timedelta(hours=9))
    if province in WITA:
        return "WITA", dt.timezone(dt.timedelta(hours=8))
    return "WIB", dt.timezone(dt.timedelta(hours=7))


def local(ns: int, province: str | None) -> str:
    """``2026-12-04 22:00 WIB``."""
    name, zone = zone_of(province)
    stamp = dt.datetime.fromtimestamp(ns / _S, tz=zone)
    return f"{stamp:%Y-%m-%d %H:%M} {name}"


def parse_time(text: str, now_ns: int) -> int:
    """``now`` or ISO 8601 with a zone offset -> ns; ValueError in both languages."""
    if text == "now":
        return now_ns
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"expected an ISO 8601 time such as 2026-12-04T22:00+07:00, or now, got {text!r}\n"
            f"diharapkan waktu ISO 8601 seperti 2026-12-04T22:00+07:00, atau now, bukan {text!r}"
        ) from None
    if stamp.tzinfo is None:
        raise ValueError(
            f"give the zone of {text!r}, e.g. {text}+07:00 (WIB)\n"
            f"sebutkan zona waktu {text!r}, misalnya {text}+07:00 (WIB)"
        )
    return int(stamp.timestamp() * _S)


def parse_duration(text: str) -> int:
    """``90m``, ``2h``, ``1d`` -> ns."""
    match = re.fullmatch(r"(\d{1,6})([mhd])", text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(
            f"expected a duration such as 90m, 2h or 1d, got {text!r}\n"
            f"diharapkan lama waktu seperti 90m, 2h atau 1d, bukan {text!r}"
        )
    return int(match.group(1)) * _UNITS[match.group(2)] * _S


def register(sub: Any) -> None:
    from collector.cli import data_dir

    silences = sub.add_parser(
        "silences", help="planned work: incidents it matches page nobody (silences)"
    )
    commands = silences.add_subparsers(dest="silences_command", required=True, metavar="ACTION")

    add = commands.add_parser("add", help="announce planned work on a network, cell or area")
    data_dir(add)
    add.add_argument("--operator", required=True, help="MCC-MNC (e.g. 510-01) or field-team")
    add.add_argument("--cell", help="only this cell, e.g. 510-01:12825858")
    add.add_argument("--kabupaten", help="only this kabupaten/kota (4 digits, e.g. 3171)")
    add.add_argument("--province", help="only this province (2 digits, e.g. 31)")
    add.add_argument("--family", choices=[f.value for f in Family], help="only this family")
    add.add_argument("--start", default="now", help="ISO 8601 with zone, or now (default)")
    end = add.add_mutually_exclusive_group(required=True)
    end.add_argument("--end", help="ISO 8601 with zone, e.g. 2026-12-05T02:00+07:00")
    end.add_argument("--for", dest="duration", help="how long, e.g. 90m, 4h, 1d")
    add.add_argument("--reason", required=True, help="the planned work (kept with it)")
    add.add_argument("--by", default=getpass.getuser(), help="who (default: this user)")
    add.add_argument("--json", action="store_true", help="print JSON")
    add.set_defaults(handler=run_add)

    listing = commands.add_parser("list", help="silences, newest first")
    data_dir(listing)
    listing.add_argument("--all", action="store_true", help="ended ones too")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)

    expire = commands.add_parser("expire", help="end a silence now (cancel a planned one)")
    data_dir(expire)
    expire.add_argument("silence_id", type=int)
    expire.set_defaults(handler=run_expire)


def silence_json(stored: StoredSilence) -> dict[str, Any]:
    s = stored.silence
    return {
        "id": s.id, "operator": s.operator, "cell": s.cell, "kabupaten": s.kabupaten,
        "province": s.province, "family": None if s.family is None else s.family.value,
        "start_ns": s.start_ns, "end_ns": s.end_ns, "created_by": stored.created_by,
        "reason": stored.reason, "created_ns": stored.created_ns,
    }  # fmt: skip


def _where(stored: StoredSilence) -> str:
    s = stored.silence
    parts = [s.operator]
    for label, value in (("cell", s.cell), ("kab", s.kabupaten), ("prov", s.province),
                         ("family", None if s.family is None else s.family.value)):  # fmt: skip
        if value is not None:
            parts.append(f"{label} {value}")
    return terminal(" ".join(parts))


def silences_table(found: list[StoredSilence]) -> str:
    header = f"{'id':>5} {'what / apa':<40} {'from / dari':<21} {'until / sampai':<21} by"
    lines = [header, "-" * len(header)]
    for stored in found:
        s = stored.silence
        province = s.province or (s.kabupaten[:2] if s.kabupaten else None)
        lines.append(
            f"{s.id:>5} {_where(stored):<40} {local(s.start_ns, province):<21} "
            f"{local(s.end_ns, province):<21} {terminal(stored.created_by)}: "
            f"{terminal(stored.reason)}"
        )
    if not found:
        lines.append("(no silences / tidak ada jeda notifikasi)")
    return "\n".join(lines)


def run_add(args: argparse.Namespace) -> int:
    from collector.cli import open_existing

    now = time.time_ns()
    try:
        start = parse_time(args.start, now)
        end = parse_time(args.end, now) if args.end else start + parse_duration(args.duration)
    except ValueError as exc:
        print(_prefixed(str(exc)), file=sys.stderr)
        return EXIT_USAGE
    store = open_existing(args)
    try:
        stored = store.add_silence(
            operator=args.operator, start_ns=start, end_ns=end, created_by=args.by,
            reason=args.reason, now_ns=now, cell=args.cell, kabupaten=args.kabupaten,
            province=args.province, family=args.family,
        )  # fmt: skip
    except ValueError as exc:
        print(_prefixed(f"cannot add the silence: {exc}"), file=sys.stderr)
        print(_prefixed("jeda notifikasi tidak dapat ditambahkan: periksa isian di atas"),
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    finally:
        store.close()
    if args.json:
        print(json.dumps(silence_json(stored), indent=2, allow_nan=False))
        return EXIT_OK
    s = stored.silence
    province = s.province or (s.kabupaten[:2] if s.kabupaten else None)
    until = local(s.end_ns, province)
    print(f"silence {s.id}: {_where(stored)} pages nobody until {until}")
    print(f"jeda notifikasi {s.id}: {_where(stored)} tidak mengirim notifikasi sampai {until}")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    from collector.cli import open_existing

    store = open_existing(args)
    try:
        found = store.list_silences(active_after_ns=None if args.all else time.time_ns())
    finally:
        store.close()
    if args.json:
        print(json.dumps([silence_json(s) for s in found], indent=2, allow_nan=False))
    else:
        print(silences_table(found))
    return EXIT_OK


def run_expire(args: argparse.Namespace) -> int:
    from collector.cli import open_existing

    store = open_existing(args)
    try:
        ended = store.expire_silence(args.silence_id, time.time_ns())
    finally:
        store.close()
    if not ended:
        print(
            f"pantau-collector: no running or planned silence {args.silence_id}\n"
            f"pantau-collector: tidak ada jeda notifikasi {args.silence_id} yang berjalan atau "
            "direncanakan",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    print(f"silence {args.silence_id} ended: its incidents page again")
    print(f"jeda notifikasi {args.silence_id} selesai: insidennya kembali mengirim notifikasi")
    return EXIT_OK


def _prefixed(text: str) -> str:
    return "\n".join(f"pantau-collector: {line}" for line in text.splitlines())
