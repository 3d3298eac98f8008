"""``pantau-agent init``: the pieces behind setting up a kit.

* :mod:`agent.setup.files`: atomic, idempotent writes and the kit's config file;
* :mod:`agent.setup.ports`: finding the modem (serial ports probed with AT);
* :mod:`agent.setup.prompt`: asking the technician (or reading flags, unattended);
* :mod:`agent.setup.install`: the systemd unit, the udev rule and bounded logs;
* the steps: :mod:`agent.setup.modem_step`, :mod:`agent.setup.collector_step` (the
  collector, TLS and enrollment), :mod:`agent.setup.service_step`, sharing
  :mod:`agent.setup.context` (exit codes, ``Stop``, what every step reads).

The command itself (flags, the order of the steps, the site and the files) is
:mod:`agent.cli_init`.
"""
