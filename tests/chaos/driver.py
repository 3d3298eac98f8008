"""A minimal kit for the chaos test: the real Spool and Uplink in their own process,
producing records whose content is a function of (agent, seq) so the test can check
every stored record. Run: python driver.py SPOOL ADDRESS CREDENTIAL AGENT_INDEX
[RESERVE_BYTES]

Prints "ready" once streaming. On SIGTERM it stops producing, drains its spool to
the collector, prints "drained HEAD_SEQ FULL" (FULL: 1 if its disk was ever full)
and exits 0 (4 if it cannot drain in 90 s).
When the spool cannot take a round of records (its disk is full beyond its
reserve), that round is not produced and the next one is tried a moment later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from agent import clock
from agent.records import PRIORITY, make_record
from agent.service import overflow_record
from agent.spool import RESERVE_BYTES, Spool, SpoolError
from agent.uplink import Backoff, Uplink
from pantau.v1 import records_pb2


def content(index: int, seq: int) -> records_pb2.SignalReading:
    return records_pb2.SignalReading(operator_name=f"a{index}-r{seq}", rsrp_dbm=-60.0 - seq % 50)


async def main(
    spool_path: Path, address: str, credential: str, index: int, reserve_bytes: int
) -> int:
    spool = Spool(
        spool_path, max_bytes=1 << 30, overflow_record=overflow_record, reserve_bytes=reserve_bytes
    )
    uplink = Uplink(
        spool, address=address, credential=credential, agent_id=credential.partition(".")[0],
        site="3171011001005", backoff=Backoff(0.1, 1.0), poll_s=0.05, backlog_records_per_s=0,
    )  # fmt: skip
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    streaming = asyncio.create_task(uplink.run())
    print("ready", flush=True)
    saw_full = False
    while not stop.is_set():
        head = spool.backlog().head_seq
        rows = []
        for seq in range(head + 1, head + 6):
            record = make_record(clock.now(), content(index, seq))
            rows.append(("signal", PRIORITY["signal"], record.SerializeToString()))
        try:
            seqs = await asyncio.to_thread(spool.append, rows)
        except SpoolError:
            seqs = list(range(head + 1, head + 6))  # not produced: try the next round
        if seqs != list(range(head + 1, head + 6)):
            print(f"unexpected seqs {seqs} after head {head}", flush=True)
            return 3
        saw_full = saw_full or spool.disk_full
        uplink.notify()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)
    try:
        async with asyncio.timeout(90):
            while spool.backlog().records:
                await asyncio.sleep(0.05)
    except TimeoutError:
        ended = streaming.exception() if streaming.done() else None
        print(f"could not drain: {spool.backlog()} {uplink.state} uplink ended: {ended!r}",
              flush=True)  # fmt: skip
        return 4
    finally:
        streaming.cancel()
        await asyncio.gather(streaming, return_exceptions=True)
    print(f"drained {spool.backlog().head_seq} {int(saw_full)}", flush=True)
    spool.close()
    return 0


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    reserve = int(sys.argv[5]) if len(sys.argv) > 5 else RESERVE_BYTES
    sys.exit(
        asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), reserve))
    )
