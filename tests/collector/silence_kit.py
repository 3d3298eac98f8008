"""A minimal healthy kit for the silence tests: the real Spool and Uplink in their own
process, one signal reading every 0.2 s for its site, until killed. It gives up on a
stream whose acks stop after 2 s (a kit does after 60 s: the frozen collector of the
tests is frozen for seconds, not minutes) and opens a new one.
Run: python silence_kit.py SPOOL ADDRESS CREDENTIAL SITE

Prints "ready" once producing.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from agent import clock
from agent.records import PRIORITY, make_record
from agent.service import overflow_record
from agent.spool import Spool
from agent.uplink import Backoff, Uplink
from pantau.v1 import records_pb2


async def main(spool_path: Path, address: str, credential: str, site: str) -> int:
    spool = Spool(spool_path, max_bytes=1 << 26, overflow_record=overflow_record)
    uplink = Uplink(
        spool, address=address, credential=credential, agent_id=credential.partition(".")[0],
        site=site, backoff=Backoff(0.1, 0.5), poll_s=0.05, backlog_records_per_s=0,
        welcome_timeout_s=2.0, ack_timeout_s=2.0,  # a frozen collector: a new stream soon
    )  # fmt: skip
    streaming = asyncio.create_task(uplink.run())
    print("ready", flush=True)
    while not streaming.done():
        reading = records_pb2.SignalReading(rsrp_dbm=-80.0, rat=records_pb2.RAT_LTE)
        record = make_record(clock.now(), reading)
        await asyncio.to_thread(
            spool.append, [("signal", PRIORITY["signal"], record.SerializeToString())]
        )
        uplink.notify()
        await asyncio.sleep(0.2)
    return 1


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    sys.exit(asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4])))
