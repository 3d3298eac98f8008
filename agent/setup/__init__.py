"""``pantau-agent init``: the pieces behind setting up a kit.

* :mod:`agent.setup.files`: atomic, idempotent writes and the kit's config file;
* :mod:`agent.setup.ports`: finding the modem (serial ports probed with AT);
* :mod:`agent.setup.prompt`: asking the technician (or reading flags, unattended);
* :mod:`agent.setup.install`: the systemd unit, the udev rule and bounded logs.

The command itself is :mod:`agent.cli_init`.
"""
