"""``pantau-collector incidents list|show|ack|escalate``: the faults tickets are grouped
into; acknowledging ("we have it") and escalating ("this is worse") one by hand.

Titles and headings come in English and in Bahasa Indonesia; times in the zone of the
incident's province (WIB, WITA or WIT).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from typing import Any

from collector.cli_silences import local
from collector.incidents_by_hand import MAX_ESCALATION
from collector.store.incidents import StoredIncident, snapshot
from pantau.core.untrusted import terminal

EXIT_OK, EXIT_FAILURE = 0, 1


def register(sub: Any) -> None:
    from collector.cli import data_dir

    incidents = sub.add_parser("incidents", help="list and show incidents (grouped tickets)")
    commands = incidents.add_subparsers(dest="incidents_command", required=True, metavar="ACTION")

    listing = commands.add_parser("list", help="incidents that page, newest first")
    data_dir(listing)
    listing.add_argument("--state", default="open", choices=["open", "resolved", "all"])
    listing.add_argument("--parts", action="store_true", help="also those inside an area")
    listing.add_argument("--operator", help="only this operator (MCC-MNC) or queue")
    listing.add_argument("--limit", type=int, default=100, help="at most this many")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)

    show = commands.add_parser("show", help="one incident with its tickets")
    data_dir(show)
    show.add_argument("incident_id", type=int)
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)

    for action, text in (
        ("ack", "acknowledge an incident: someone is on it (pages 'acknowledge')"),
        ("escalate", "escalate an incident: the next level (pages 'escalate')"),
    ):
        p = commands.add_parser(action, help=text)
        data_dir(p)
        p.add_argument("incident_id", type=int)
        p.add_argument("--note", default="", help="why (kept in the incident's history)")
        p.add_argument("--by", default=getpass.getuser(), help="who (default: this user)")
        if action == "escalate":
            p.add_argument(
                "--level", type=int, choices=range(1, MAX_ESCALATION + 1),
                help="to this level (default: the next; one reached already changes nothing)",
            )  # fmt: skip
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(handler=run_by_hand, action=action)


def incidents_table(found: list[StoredIncident]) -> str:
    header = f"{'id':>5} {'state / status':<15} {'since / sejak':<21} title / judul"
    lines = [header, "-" * len(header)]
    for stored in found:
        inc = stored.incident
        body = snapshot(stored)["incident"]
        silenced = f" [silenced by / dijeda oleh {inc.silenced_by}]" if inc.silenced_by else ""
        if inc.acked_by is not None:
            silenced += f" [acknowledged by / ditangani oleh {terminal(inc.acked_by)}]"
        if inc.escalation:
            silenced += f" [escalated / dieskalasi: {inc.escalation}]"
        lines.append(
            f"{inc.id:>5} {inc.state:<15} {local(inc.opened_ns, inc.scope.province):<21} "
            f"{terminal(body['title'])}{silenced}"
        )
        lines.append(f"{'':>5} {'':<15} {'':<21} {terminal(body['title_id'])}")
    if not found:
        lines.append("(no incidents / tidak ada insiden)")
    return "\n".join(lines)


def run_list(args: argparse.Namespace) -> int:
    from collector.cli import open_existing

    if args.limit < 1:
        print(f"pantau-collector: --limit must be at least 1, got {args.limit}", file=sys.stderr)
        return 2
    store = open_existing(args)
    try:
        found = store.list_incidents(
            states=None if args.state == "all" else [args.state], operator=args.operator,
            top_only=not args.parts, limit=args.limit,
        )  # fmt: skip
    finally:
        store.close()
    if args.json:
        print(json.dumps([snapshot(i) for i in found], indent=2, allow_nan=False))
    else:
        print(incidents_table(found))
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    from collector.cli import open_existing

    store = open_existing(args)
    try:
        found = store.get_incident(args.incident_id)
        tickets = [] if found is None else [store.get_ticket(t) for t in found[1]]
    finally:
        store.close()
    if found is None:
        print(
            f"pantau-collector: no incident {args.incident_id}\n"
            f"pantau-collector: tidak ada insiden {args.incident_id}",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    stored, _ = found
    doc = snapshot(stored)
    rows = [t[0] for t in tickets if t is not None]
    inc = stored.incident
    if args.json:
        doc["tickets"] = [{"id": t.id, "site_code": t.site_code, "problem": t.problem,
                           "state": t.state} for t in rows]  # fmt: skip
        print(json.dumps(doc, indent=2, allow_nan=False))
        return EXIT_OK
    print(incidents_table([stored]))
    for line in by_hand_lines(stored):
        print(line)
    fine = inc.others_fine
    if fine.get("count"):
        others = ", ".join(fine.get("operators", []))
        print(f"other networks fine at {fine['count']} of these TPS ({others})")
        print(f"jaringan lain baik di {fine['count']} TPS ini ({others})")
    print("tickets / tiket:")
    for t in rows:
        print(f"  {t.id:>6} {terminal(t.site_code)} {terminal(t.problem):<15} {t.state}")
    return EXIT_OK


def by_hand_lines(stored: StoredIncident) -> list[str]:
    """Who acknowledged it and its escalation level, in both languages (times local)."""
    inc = stored.incident
    out = []
    if inc.acked_by is not None and inc.acked_ns is not None:
        when = local(inc.acked_ns, inc.scope.province)
        note = f": {terminal(inc.ack_note)}" if inc.ack_note else ""
        out.append(f"acknowledged by {terminal(inc.acked_by)} at {when}{note}")
        out.append(f"ditangani oleh {terminal(inc.acked_by)} pada {when}{note}")
    if inc.escalation and inc.escalated_ns is not None:
        when = local(inc.escalated_ns, inc.scope.province)
        out.append(f"escalated to level {inc.escalation} at {when}")
        out.append(f"dieskalasi ke tingkat {inc.escalation} pada {when}")
    return out


def run_by_hand(args: argparse.Namespace) -> int:
    from collector.cli import open_existing

    store = open_existing(args)
    try:
        now = time.time_ns()
        if args.action == "ack":
            done = store.acknowledge_incident(
                args.incident_id, actor=args.by, note=args.note, now_ns=now
            )
        else:
            done = store.escalate_incident(
                args.incident_id, actor=args.by, note=args.note, now_ns=now, level=args.level
            )
    finally:
        store.close()
    if done.stored is None:
        print(
            f"pantau-collector: no incident {args.incident_id}\n"
            f"pantau-collector: tidak ada insiden {args.incident_id}",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    if done.refused is not None:
        verb_id = "ditangani" if args.action == "ack" else "dieskalasi"
        print(
            f"pantau-collector: {terminal(done.refused)}\n"
            f"pantau-collector: insiden {args.incident_id} tidak dapat {verb_id} "
            "dalam keadaannya sekarang",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    if args.json:
        doc = snapshot(done.stored)
        doc["changed"] = done.changed
        print(json.dumps(doc, indent=2, allow_nan=False))
        return EXIT_OK
    inc = done.stored.incident
    if not done.changed:
        what = "acknowledged" if args.action == "ack" else f"at level {inc.escalation}"
        what_id = "ditangani" if args.action == "ack" else f"di tingkat {inc.escalation}"
        print(f"incident {inc.id} is {what} already; nothing changed")
        print(f"insiden {inc.id} sudah {what_id}; tidak ada yang berubah")
    for line in by_hand_lines(done.stored):
        print(line)
    return EXIT_OK
