"""Errors raised by the modem layer, each saying whose fault it is and what to do.

::

    AgentError                          (agent.errors) the agent's root
    └── ModemError                      base of everything below
        ├── PortUnavailable             cannot open the port, or it vanished (USB re-enumeration)
        │   └── PortBusy                another process holds the port (ModemManager, minicom)
        ├── ModemTimeout                a command got no final result in time
        ├── CommandFailed               the modem answered ERROR / +CME ERROR / +CMS ERROR / ...
        └── ProtocolError               the AT protocol was broken; never raised directly
            ├── LocalProtocolError      we misused the engine (our bug, not the modem's)
            └── RemoteProtocolError     the modem's answer broke the protocol (garbage,
                │                       a line over the buffer limit)
                └── ParseError          (agent.modem.fields) an answer line has the wrong
                                        shape; also a ValueError

The local/remote pair follows h11: the class says whose fault it was. It is the *AT*
protocol's pair and stays modem-specific on purpose: it does not derive from
:class:`pantau.core.errors.LocalProtocolError` / ``RemoteProtocolError``, which mean the
``pantau.v1`` wire contract between kit and collector. A modem sending garbage is not a
collector breaking the contract, and a handler catching the core pair (the uplink, the
collector's ingest) must not catch modem faults by accident.

A SIM that is absent or locked, or a modem with no service, is *not* an error for
:class:`agent.modem.reader.Modem`: those are readings.
"""

from __future__ import annotations

from agent.errors import AgentError


class ModemError(AgentError):
    """Base class for every error of the modem layer."""


class PortUnavailable(ModemError):
    """The port cannot be opened, or it vanished while in use."""

    def __init__(self, port: str, detail: str) -> None:
        self.port = port
        self.detail = detail
        super().__init__(
            f"modem port {port} is unavailable: {detail}. Check that the modem is plugged in "
            "and powered, that the port path is right (the AT port moves between ttyUSBn "
            "when the modem re-enumerates; prefer /dev/serial/by-id/...), and that this "
            "user may open it (group dialout)."
        )


class PortBusy(PortUnavailable):
    """Another process holds the port exclusively (typically ModemManager)."""

    def __init__(self, port: str, detail: str) -> None:
        self.port = port
        self.detail = detail
        ModemError.__init__(
            self,
            f"modem port {port} is held by another process ({detail}). ModemManager usually "
            "grabs modem ports: tell it to ignore this modem with a udev rule setting "
            'ENV{ID_MM_PORT_IGNORE}="1" for the port (or ID_MM_DEVICE_IGNORE for the whole '
            "device), or stop it with `systemctl stop ModemManager`; also close any "
            "minicom/screen session on the port.",
        )


class ModemTimeout(ModemError):
    """A command got no final result (OK, ERROR, ...) within its timeout."""

    def __init__(self, command: str, timeout_s: float, port: str) -> None:
        self.command = command
        self.timeout_s = timeout_s
        self.port = port
        super().__init__(
            f"command {command} got no final result within {timeout_s:g} s on port {port}; "
            "the modem may be rebooting, or this is not its AT port"
        )


class CommandFailed(ModemError):
    """The modem answered a command with a failure final result.

    ``final`` is the :class:`agent.modem.engine.FinalResult`; ``cme_code`` its numeric
    +CME/+CMS code when the modem gave one.
    """

    def __init__(self, command: str, final: object, port: str) -> None:
        self.command = command
        self.final = final
        self.port = port
        self.cme_code: int | None = getattr(final, "code", None)
        line = getattr(final, "line", final)
        super().__init__(f"command {command} failed on port {port}: {line}")


class ProtocolError(ModemError):
    """The AT protocol was broken; see the two subclasses for whose fault it was."""


class LocalProtocolError(ProtocolError):
    """We misused the engine (e.g. sent a command while another is pending): our bug."""


class RemoteProtocolError(ProtocolError):
    """The modem's answer broke the protocol (e.g. a line over the buffer limit, an
    answer of the wrong shape): the modem's fault, or not an AT port at all."""
