"""``pantau-collector users``: the operations centre's accounts (docs/operations.md).

::

    pantau-collector users add NAME --role viewer|operator|admin [--operator X] [--password-stdin]
    pantau-collector users remove NAME
    pantau-collector users list [--json]
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from contextlib import closing
from typing import Any

from collector.store.model import USER_ROLES
from pantau.core.untrusted import terminal

EXIT_OK = 0


def register(sub: Any) -> None:
    from collector.cli import data_dir

    users = sub.add_parser("users", help="accounts of the operations centre (web)")
    users_sub = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    add = users_sub.add_parser("add", help="create an account")
    data_dir(add)
    add.add_argument("name", help="user name (letters, digits, . _ @ -)")
    add.add_argument("--role", required=True, choices=USER_ROLES, help="what the account may do")
    add.add_argument(
        "--operator",
        help="limit the account to one network: MCC-MNC (510-10) or a name (telkomsel)",
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (else: prompt twice)",
    )
    add.set_defaults(handler=_add)

    remove = users_sub.add_parser("remove", help="delete an account and end its sessions")
    data_dir(remove)
    remove.add_argument("name")
    remove.set_defaults(handler=_remove)

    listing = users_sub.add_parser("list", help="list the accounts")
    data_dir(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_list)


def _password(args: argparse.Namespace) -> str:
    from collector.cli import UsageError

    if args.password_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise UsageError("--password-stdin: standard input held no password")
        return password
    if not sys.stdin.isatty():
        raise UsageError(
            "no terminal to ask for the password: pass --password-stdin and pipe it in"
        )
    try:
        first = getpass.getpass(f"password for {args.name}: ")
        second = getpass.getpass("again: ")
    except (EOFError, KeyboardInterrupt):
        raise UsageError("no password given") from None
    if first != second:
        raise UsageError("the two passwords differ; nothing changed")
    return first


def _add(args: argparse.Namespace) -> int:
    from collector.cli import UsageError, open_any
    from collector.web.accounts import (
        AccountError,
        hash_password,
        parse_operator,
        validate_password,
        validate_role,
        validate_username,
    )
    from pantau.core.operators import operator_label

    try:
        name = validate_username(args.name)
        role = validate_role(args.role)
        operator = None if args.operator is None else parse_operator(args.operator)
        password = validate_password(_password(args))
    except AccountError as exc:
        raise UsageError(str(exc)) from None
    with closing(open_any(args)) as store:
        if not store.add_user(name, hash_password(password), role, operator, time.time_ns()):
            raise UsageError(f"user {name!r} exists already (remove it first to replace it)")
    scope = "every network" if operator is None else f"{operator} ({operator_label(operator)})"
    print(f"added {terminal(name)} ({role}, {scope})")
    return EXIT_OK


def _remove(args: argparse.Namespace) -> int:
    from collector.cli import UsageError, open_existing

    with closing(open_existing(args)) as store:
        if not store.remove_user(args.name):
            raise UsageError(f"no user {args.name!r}")
    print(f"removed {terminal(args.name)} (its sessions have ended)")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from collector.cli import open_existing
    from collector.present import iso
    from pantau.core.operators import operator_label

    with closing(open_existing(args)) as store:
        users = store.list_users()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "username": u.username,
                        "role": u.role,
                        "operator": u.operator,
                        "operator_name": operator_label(u.operator),
                        "created": iso(u.created_ns),
                        "disabled": u.disabled,
                    }
                    for u in users
                ],
                indent=2,
                allow_nan=False,
            )
        )
        return EXIT_OK
    print(f"{'user':<24} {'role':<9} {'network':<28} created")
    for u in users:
        network = "all" if u.operator is None else f"{u.operator} {operator_label(u.operator)}"
        name, role = terminal(u.username), terminal(u.role)
        print(f"{name:<24} {role:<9} {terminal(network):<28} {iso(u.created_ns)}")
    return EXIT_OK
