"""``pantau-collector enroll --sites-file SITES.csv --out CODES.csv [--json]``.

The I/O around :mod:`collector.bulk_enroll`: read the file, refuse its bad lines
(each on stderr, in English and Bahasa Indonesia), issue codes for the rest in
batches with progress on stderr, and a summary (``--json``: one strict JSON object
on stdout). The exit status is 1 if any line was refused, even when the others
were issued.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from collector.bulk_enroll import SitesFileError, enroll_lines, open_private, parse_sites

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def bulk_enroll(args: argparse.Namespace) -> int:
    from collector.cli import UsageError, open_any

    if args.agent_id:
        raise UsageError("--agent-id goes with --site; in a sites file use an agent_id column")
    if args.out is None:
        raise UsageError("--sites-file needs --out FILE (a new file for the codes, mode 0600)")
    if not 0 < args.valid_hours <= 24 * 90:
        raise UsageError(f"--valid-hours must be between 0 and 2160, got {args.valid_hours}")
    started = time.monotonic()
    try:
        text = args.sites_file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read {args.sites_file}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{args.sites_file}: not UTF-8 text (byte {exc.start})") from None
    try:
        lines, refused = parse_sites(text)
        out = open_private(args.out)
    except SitesFileError as exc:
        raise UsageError(f"{args.sites_file}: {exc}") from None

    def progress(done: int, total: int) -> None:
        print(f"enrolled {done}/{total} lines / {done}/{total} baris", file=sys.stderr)

    store = open_any(args)
    try:
        with out:
            issued, taken = enroll_lines(
                store, lines, out, ttl_s=args.valid_hours * 3600, progress=progress
            )
            out.flush()
            os.fsync(out.fileno())
    finally:
        store.close()
    refused = sorted([*refused, *taken], key=lambda r: r.line)
    for refusal in refused:
        print(f"{args.sites_file}: {refusal.text()}", file=sys.stderr)
    summary = {
        "sites_file": str(args.sites_file),
        "out": str(args.out),
        "issued": len(issued),
        "refused": len(refused),
        "refusals": [
            {"line": r.line, "tps_code": r.site_code, "en": r.en, "id": r.id} for r in refused
        ],
        "valid_hours": args.valid_hours,
        "seconds": round(time.monotonic() - started, 3),
    }
    if args.json:
        print(json.dumps(summary, indent=2, allow_nan=False))
    else:
        print(
            f"{len(issued)} codes written to {args.out}, {len(refused)} lines refused / "
            f"{len(issued)} kode ditulis ke {args.out}, {len(refused)} baris ditolak"
        )
    return EXIT_REFUSED if refused else EXIT_OK
