"""``pantau-collector incidents list|show``: the faults tickets are grouped into.

Titles and headings come in English and in Bahasa Indonesia; times in the zone of the
incident's province (WIB, WITA or WIT).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from collector.cli_silences import local
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


def incidents_table(found: list[StoredIncident]) -> str:
    header = f"{'id':>5} {'state / status':<15} {'since / sejak':<21} title / judul"
    lines = [header, "-" * len(header)]
    for stored in found:
        inc = stored.incident
        body = snapshot(stored)["incident"]
        silenced = f" [silenced by / dijeda oleh {inc.silenced_by}]" if inc.silenced_by else ""
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
    if args.json:
        doc["tickets"] = [{"id": t.id, "site_code": t.site_code, "problem": t.problem,
                           "state": t.state} for t in rows]  # fmt: skip
        print(json.dumps(doc, indent=2, allow_nan=False))
        return EXIT_OK
    print(incidents_table([stored]))
    inc = stored.incident
    fine = inc.others_fine
    if fine.get("count"):
        others = ", ".join(fine.get("operators", []))
        print(f"other networks fine at {fine['count']} of these TPS ({others})")
        print(f"jaringan lain baik di {fine['count']} TPS ini ({others})")
    print("tickets / tiket:")
    for t in rows:
        print(f"  {t.id:>6} {terminal(t.site_code)} {terminal(t.problem):<15} {t.state}")
    return EXIT_OK
