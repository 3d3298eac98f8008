"""Shared pieces of the modem tests: a healthy LTE scenario step, and a scripted peer."""

from __future__ import annotations

import socket
import threading
from typing import Any

#: A registered Telkomsel LTE cell with every value a scenario step can carry.
LTE_STEP: dict[str, Any] = {
    "at_s": 0,
    "rat": "lte",
    "reg_state": "home",
    "mcc": "510",
    "mnc": "10",
    "tac": 0x3E8,
    "cell_id": 0x1A2D001,
    "pci": 123,
    "earfcn": 1850,
    "band": 3,
    "rssi_dbm": -65,
    "rsrp_dbm": -95,
    "rsrq_db": -10,
    "sinr_db": 12,
}

#: The 3GPP answers of a registered LTE modem, for a :class:`Peer` script.
BASE_SCRIPT: dict[str, list[str]] = {
    "AT": ["OK"],
    "ATE0": ["OK"],
    "AT+CMEE=1": ["OK"],
    "AT+CPIN?": ["+CPIN: READY", "OK"],
    "AT+CSQ": ["+CSQ: 24,99", "OK"],
    "AT+COPS?": ['+COPS: 0,2,"51010",7', "OK"],
    "AT+CEREG?": ['+CEREG: 2,1,"03E8","01A2D001",7', "OK"],
}


class Peer:
    """A TCP peer answering each command line from a script (ERROR when unscripted).

    A script value is the list of lines to answer, or one string with lines split on
    ``|``; the reader reaches the peer at :attr:`url` (``socket://``)."""

    def __init__(self, script: dict[str, list[str]] | dict[str, str]) -> None:
        self.script: dict[str, list[str] | str] = dict(script)
        self.received: list[str] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"socket://127.0.0.1:{self._server.getsockname()[1]}"
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            conn, _ = self._server.accept()
        except OSError:
            return
        with conn:
            buf = b""
            while data := conn.recv(1024):
                buf += data
                while b"\r" in buf:
                    line, buf = buf.split(b"\r", 1)
                    self.received.append(line.decode())
                    reply = self.script.get(line.decode(), ["ERROR"])
                    lines = reply.split("|") if isinstance(reply, str) else reply
                    conn.sendall(b"".join(b"\r\n" + x.encode() + b"\r\n" for x in lines))

    def close(self) -> None:
        self._server.close()
        self._thread.join(timeout=5)
