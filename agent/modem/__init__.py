"""The kit's modem layer: read radio metrics from a cellular modem over AT commands.

Layers (each importable on its own; only ``driver`` imports pyserial):

* ``model``     SignalSample / ModemIdentity and their conversion to pantau.v1 messages
* ``dialects``  the AT dialects the layer knows (one list, imports nothing)
* ``errors``    the exception tree (ModemError, ..., the Local/RemoteProtocolError pair)
* ``engine``    sans-I/O AT engine: bytes in, typed events out
* ``parsers``   pure parsers for 3GPP answers (+ ``quectel`` for +QENG, ``fields``)
* ``ranges``    the valid range of every value per field and RAT; impossible -> absent
* ``operators`` Indonesian MCC-MNC -> operator name
* ``gnss``, ``sierra``, ``fibocom``, ``identity``: more vendor parsers;
  ``interpret`` maps each command to its parser (used by ``decode``)
* ``usb``       finding a modem's tty by USB identity (sysfs), and who holds a port
* ``driver``    AtPort: the serial port, timeouts, retries
* ``reader``    Modem: open() -> ModemIdentity, read_signal() -> SignalSample
* ``monitor``   ModemMonitor: the agent's periodic reading, MODEM_LOST / MODEM_BACK
* ``tools``, ``decode``: the ``pantau-agent modem read|detect|decode`` commands

This package imports nothing on its own, so ``agent.modem.model`` stays cheap.
"""
