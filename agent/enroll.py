"""``pantau-agent enroll``: exchange a one-time code for the kit's credential.

The credential is written to ``<data-dir>/credential`` (mode 0600, atomically)
and the matching ``[collector]`` lines are printed for the kit's configuration. The data
directory is checked for room (and written to) before the code is redeemed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from pathlib import Path
from typing import Any

from agent.channel import ChannelError, open_channel

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def add_parser(sub: Any) -> None:
    p = sub.add_parser("enroll", help="enroll this kit with a one-time code from the collector")
    p.add_argument("--collector", required=True, metavar="HOST:PORT", help="collector address")
    p.add_argument("--code", required=True, help="one-time code from `pantau-collector enroll`")
    p.add_argument("--ca-file", default="", help="the deployment's ca.crt (TLS, pinned)")
    p.add_argument("--insecure", action="store_true", help="plaintext outside loopback (testing)")
    p.add_argument("--data-dir", type=Path, default=Path("/var/lib/pantau"),
                   help="where the credential is stored (default /var/lib/pantau)")  # fmt: skip
    p.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for the collector")
    p.set_defaults(handler=run)


def write_credential(data_dir: Path, token: str) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "credential"
    tmp = path.with_suffix(".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(token + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:  # a full disk must not leave half a credential behind
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def room_problem(data_dir: Path) -> str | None:
    """Why the credential could not be stored in ``data_dir`` (a full, read-only or
    unwritable disk), in the technician's language; None when it can. Asked before the
    code is redeemed: a code traded for a credential that cannot be written is burnt."""
    from agent import diskroom
    from agent.i18n import Messages
    from agent.spool import RESERVE_BYTES
    from agent.tech.render import size

    room = diskroom.measure(data_dir, diskroom.data_dir_need(RESERVE_BYTES))
    if room.ok:
        return None
    m = Messages()
    if room.status == diskroom.FULL:
        return m(
            "common.disk.full_before_code",
            path=data_dir,
            free=size(room.free_bytes),
            needed=size(room.needed_bytes),
        )
    return m("common.disk.unwritable_before_code", path=data_dir, error=room.error or "")


async def request(
    address: str, code: str, *, ca_file: str, insecure: bool, timeout_s: float
) -> tuple[str, str, str]:
    """Returns (agent_id, site_code, credential) or raises grpc.aio.AioRpcError."""
    from agent.uplink import VERSION
    from pantau.v1 import telemetry_pb2, telemetry_pb2_grpc

    async with open_channel(address, ca_file=ca_file, insecure=insecure) as channel:
        stub = telemetry_pb2_grpc.EnrollmentStub(channel)  # type: ignore[no-untyped-call]
        reply = await stub.Enroll(
            telemetry_pb2.EnrollRequest(
                code=code, hostname=socket.gethostname(), software_version=VERSION
            ),
            timeout=timeout_s,
            wait_for_ready=True,
        )
    return reply.agent_id, reply.site_code, reply.credential


def run(args: Any) -> int:
    import grpc

    problem = room_problem(args.data_dir)
    if problem is not None:
        print(f"pantau-agent enroll: {problem}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        agent_id, site, token = asyncio.run(
            request(args.collector, args.code, ca_file=args.ca_file, insecure=args.insecure,
                    timeout_s=args.timeout)
        )  # fmt: skip
    except ChannelError as exc:
        print(f"pantau-agent: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
            reason = f"no answer from {args.collector} within {args.timeout:g} s"
        else:
            reason = exc.details() or exc.code().name
        print(f"pantau-agent: enrollment failed: {reason}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        path = write_credential(args.data_dir, token)
    except OSError as exc:
        print(
            f"pantau-agent: cannot store the credential in {args.data_dir}: {exc}", file=sys.stderr
        )
        return EXIT_FAILURE
    print(f"enrolled as {agent_id} for site {site}; credential stored in {path}")
    print("\nPut this in the kit's configuration:\n")
    print(f'[agent]\nsite = "{site}"\nid = "{agent_id}"\ndata_dir = "{args.data_dir}"\n')
    ca = f'\nca_file = "{args.ca_file}"' if args.ca_file else ""
    print(f'[collector]\naddress = "{args.collector}"\ncredential_file = "{path}"{ca}')
    return EXIT_OK
