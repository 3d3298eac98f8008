"""``pantau-collector tickets list|show|ack|resolve`` and ``pantau-collector watch``."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from dataclasses import asdict
from typing import Any

from collector.store.model import Ticket, TicketEvent
from collector.views import iso_seconds, sites_table
from pantau.core.untrusted import terminal

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
_SHOWN = ("id", "problem", "state", "site_code", "operator", "route", "first_bad", "last_bad",
          "resolved", "resolved_by", "historical", "escalated", "reopen_count")  # fmt: skip


def register(sub: Any) -> None:
    from collector.cli import data_dir

    tickets = sub.add_parser("tickets", help="list, show, acknowledge and resolve tickets")
    commands = tickets.add_subparsers(dest="tickets_command", required=True, metavar="ACTION")

    listing = commands.add_parser("list", help="tickets, newest first")
    data_dir(listing)
    listing.add_argument(
        "--state", default="active", choices=["active", "open", "acknowledged", "resolved", "all"]
    )
    listing.add_argument("--site", help="only this TPS code")
    listing.add_argument("--operator", help="only this operator (MCC-MNC) or queue")
    listing.add_argument("--problem", help="only this problem, e.g. WEAK_SIGNAL")
    listing.add_argument("--limit", type=int, default=200, help="at most this many (a page)")
    listing.add_argument(
        "--before", type=int, metavar="ID", help="only tickets older than this id (the next page)"
    )
    listing.add_argument(
        "--all", action="store_true", help="every matching ticket (read a page at a time)"
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)

    show = commands.add_parser("show", help="one ticket with its evidence and history")
    data_dir(show)
    show.add_argument("ticket_id", type=int)
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)

    for action, text in (("ack", "acknowledge a ticket"), ("resolve", "resolve a ticket by hand")):
        p = commands.add_parser(action, help=text)
        data_dir(p)
        p.add_argument("ticket_id", type=int)
        p.add_argument("--note", default="", help="why (kept in the ticket's history)")
        p.add_argument("--by", default=getpass.getuser(), help="who (default: this user)")
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(handler=run_change, action=action)

    watch = sub.add_parser("watch", help="a live terminal view of sites and open tickets")
    data_dir(watch)
    watch.add_argument("--interval", type=float, default=2.0, help="seconds between updates")
    watch.add_argument("--once", action="store_true", help="print one view and exit")
    watch.set_defaults(handler=run_watch)


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    data = asdict(ticket)
    for key in ("first_bad_ns", "last_bad_ns", "opened_ns", "updated_ns", "resolved_ns",
                "escalated_ns", "reopened_ns"):  # fmt: skip
        data[key.removesuffix("_ns")] = iso_seconds(data.pop(key))
    return data


def event_json(event: TicketEvent) -> dict[str, Any]:
    return {
        "at": iso_seconds(event.at_ns),
        "action": event.action,
        "actor": event.actor,
        "note": event.note,
    }


def tickets_table(tickets: list[Ticket]) -> str:
    header = (
        f"{'id':>5} {'state':<12} {'problem':<15} {'TPS code':<14} {'operator':<11} "
        f"{'since (UTC)':<20} {'hist':<4}"
    )
    lines = [header, "-" * len(header)]
    for t in tickets:
        since = (iso_seconds(t.first_bad_ns) or "-")[:19].replace("T", " ")
        lines.append(
            f"{t.id:>5} {terminal(t.state):<12} {terminal(t.problem):<15} "
            f"{terminal(t.site_code):<14} {terminal(t.operator):<11} "
            f"{since:<20} {'yes' if t.historical else '':<4}"
        )
    if not tickets:
        lines.append("(no tickets)")
    return "\n".join(lines)


#: Tickets read at a time by ``tickets list --all``.
PAGE = 1000


def run_list(args: argparse.Namespace) -> int:
    from collector.cli import open_existing

    for flag, value in (("--limit", args.limit), ("--before", args.before)):
        if value is not None and value < 1:
            print(f"pantau-collector: {flag} must be at least 1, got {value}", file=sys.stderr)
            return EXIT_USAGE
    states = {"active": ("open", "acknowledged"), "all": None}.get(args.state, (args.state,))
    store = open_existing(args)
    try:

        def page(before: int | None, limit: int) -> list[Ticket]:
            return store.list_tickets(
                states=states, site_code=args.site, operator=args.operator,
                problem=args.problem, limit=limit, before_id=before,
            )  # fmt: skip

        found: list[Ticket] = []
        more = False
        if args.all:  # keyset pages, newest first: each continues below the last id
            before = args.before
            while batch := page(before, PAGE):
                found += batch
                before = batch[-1].id
                if len(batch) < PAGE:
                    break
        else:
            found = page(args.before, args.limit + 1)
            more = len(found) > args.limit
            found = found[: args.limit]
    finally:
        store.close()
    if args.json:
        print(json.dumps([ticket_json(t) for t in found], indent=2, allow_nan=False))
    else:
        print(tickets_table(found))
    if more:
        print(
            f"pantau-collector: more tickets: --before {found[-1].id} lists the next page, "
            "--all every one",
            file=sys.stderr,
        )
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    from collector.cli import open_existing

    store = open_existing(args)
    try:
        found = store.get_ticket(args.ticket_id)
    finally:
        store.close()
    if found is None:
        print(f"pantau-collector: no ticket {args.ticket_id}", file=sys.stderr)
        return EXIT_FAILURE
    ticket, events = found
    if args.json:
        print(json.dumps({**ticket_json(ticket), "history": [event_json(e) for e in events]},
                         indent=2, allow_nan=False))  # fmt: skip
        return EXIT_OK
    doc = ticket_json(ticket)
    for key in _SHOWN:
        print(f"{key:>13}: {terminal(doc[key])}")
    evidence = json.dumps(ticket.evidence, sort_keys=True, allow_nan=False)
    print(f"{'evidence':>13}: {terminal(evidence)}")
    print("      history:")
    for event in events:
        note = f" - {terminal(event.note)}" if event.note else ""
        action, actor = terminal(event.action), terminal(event.actor)
        print(f"    {iso_seconds(event.at_ns)} {action} by {actor}{note}")
    return EXIT_OK


def run_change(args: argparse.Namespace) -> int:
    from collector.cli import open_existing

    store = open_existing(args)
    try:
        change_fn = store.acknowledge_ticket if args.action == "ack" else store.resolve_ticket
        change = change_fn(args.ticket_id, actor=args.by, note=args.note, now_ns=time.time_ns())
        current = store.get_ticket(args.ticket_id) if change is None else None
    finally:
        store.close()
    if change is None:
        if current is None:
            print(f"pantau-collector: no ticket {args.ticket_id}", file=sys.stderr)
        else:
            verb = "acknowledge" if args.action == "ack" else "resolve"
            print(f"pantau-collector: cannot {verb} ticket {args.ticket_id}: it is "
                  f"{current[0].state}", file=sys.stderr)  # fmt: skip
        return EXIT_FAILURE
    if args.json:
        print(json.dumps(ticket_json(change.ticket), indent=2, allow_nan=False))
    else:
        print(f"ticket {change.ticket.id} {change.ticket.state} by {terminal(args.by)}")
    return EXIT_OK


def run_watch(args: argparse.Namespace) -> int:
    from collector.cli import open_existing
    from collector.query import SiteQueries

    if args.interval <= 0:
        print(
            f"pantau-collector: --interval must be positive, got {args.interval}", file=sys.stderr
        )
        return EXIT_USAGE
    store = open_existing(args)
    queries = SiteQueries(store)
    tty = sys.stdout.isatty()
    try:
        while True:
            sites = queries.views()
            active = queries.active_tickets()
            if tty and not args.once:
                sys.stdout.write("\x1b[H\x1b[2J")
            stamp = time.strftime("%H:%M:%S")
            sys.stdout.write(
                f"{stamp}  {len(sites)} sites, {len(active)} open tickets (Ctrl-C stops)\n\n"
                f"{sites_table(sites, now_ns=time.time_ns())}\n\n{tickets_table(active)}\n"
            )
            sys.stdout.flush()
            if args.once:
                return EXIT_OK
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return EXIT_OK
    finally:
        store.close()
