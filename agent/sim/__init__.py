"""Simulated hardware for tests and demos.

* ``scenario``  TOML scenarios: a step function of radio states and faults over time
* ``responder`` what a 3GPP / Quectel modem answers for a radio state (pure)
* ``modem``     SimModem: serves a scenario on a real pty; ``serve_cli`` for the CLI
* ``scenarios/`` demo scenarios: strong-lte, weak-signal, no-service
"""
