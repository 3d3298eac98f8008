"""The kit's modem layer: read radio metrics from a cellular modem over AT commands.

Layers (each importable on its own; only ``driver`` imports pyserial):

* ``model``     SignalSample / ModemIdentity and their conversion to pantau.v1 messages
* ``errors``    the exception tree (ModemError, PortUnavailable, PortBusy, ...)
* ``engine``    sans-I/O AT engine: bytes in, typed events out
* ``parsers``   pure parsers for 3GPP answers (+ ``quectel`` for +QENG, ``fields``)
* ``operators`` Indonesian MCC-MNC -> operator name
* ``driver``    AtPort: the serial port, timeouts, retries
* ``reader``    Modem: open() -> ModemIdentity, read_signal() -> SignalSample

This package imports nothing on its own, so ``agent.modem.model`` stays cheap.
"""
